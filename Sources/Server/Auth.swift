// Authentication: who is asking. A Bearer token, HTTP Basic (user name and an API token as the
// password, as TAXII clients send), or a web session cookie. Credentials that are presented but
// wrong answer 401 at once rather than falling back to anonymous.
import Foundation
import Hummingbird
import HTTPTypes
import Platform

struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let directory: Directory
    static let sessionCookie = "ch_session"

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            context.reader = try await authenticate(authorization: authorization)
        } else if let secret = request.cookies[Self.sessionCookie]?.value, !secret.isEmpty {
            if let user = try await directory.session(secret) {
                context.reader = try await directory.reader(for: user)
                context.sessionSecret = secret
            }
        }
        return try await next(request, context)
    }

    func authenticate(authorization: String) async throws -> Reader {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw DomainError.unauthenticated }
        let scheme = parts[0].lowercased()
        let credential = String(parts[1]).trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "bearer":
            guard let (user, token) = try await directory.authenticate(token: credential) else { throw DomainError.unauthenticated }
            return try await directory.reader(for: user, scope: token.scope)
        case "basic":
            guard let data = Data(base64Encoded: credential), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":")
            else { throw DomainError.unauthenticated }
            let name = String(text[..<colon]), secret = String(text[text.index(after: colon)...])
            guard let (user, token) = try await directory.authenticate(token: secret), user.name == name else {
                throw DomainError.unauthenticated
            }
            return try await directory.reader(for: user, scope: token.scope)
        default:
            throw DomainError.unauthenticated
        }
    }
}
