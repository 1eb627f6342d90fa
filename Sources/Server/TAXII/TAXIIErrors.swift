// Every answer under /taxii2/ that is not a success is a TAXII 2.1 error resource
// (`application/taxii+json;version=2.1`), whatever raised it: our own checks, the foundation's
// authentication, the router (unknown path, wrong method), body limits, or an unexpected fault.
// This middleware sits outside authentication, so a missing or bad credential is a TAXII 401 too.
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Platform
import ThreatSharing

/// A TAXII error raised by the controller with its status.
struct TAXIIFailure: Error {
    var status: HTTPResponse.Status
    var resource: TAXIIErrorResource
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ title: String, _ description: String, code: String, details: [String: String]? = nil) {
        self.status = status
        self.resource = TAXIIErrorResource(title: title, description: description, errorCode: code, httpStatus: status.code, details: details)
    }

    init(status: HTTPResponse.Status, resource: TAXIIErrorResource) {
        self.status = status
        self.resource = resource
    }

    static func notFound(_ what: String) -> TAXIIFailure {
        TAXIIFailure(.notFound, "Not Found", "\(what) not found", code: "not-found")
    }

    static func forbidden(_ why: String) -> TAXIIFailure {
        TAXIIFailure(.forbidden, "Forbidden", why, code: "forbidden")
    }
}

struct TAXIIErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext
    static let prefix = "/taxii2"

    static func applies(to path: String) -> Bool { path == prefix || path.hasPrefix(prefix + "/") }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard Self.applies(to: request.uri.path) else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch {
            let failure = Self.failure(for: error, logger: context.logger)
            return Self.response(failure)
        }
    }

    static func failure(for error: any Error, logger: Logger) -> TAXIIFailure {
        switch error {
        case let failure as TAXIIFailure:
            return failure
        case let request as TAXIIRequestError:
            return TAXIIFailure(status: HTTPResponse.Status(code: request.httpStatus), resource: request.resource)
        case let domain as DomainError:
            switch domain {
            case .notFound(let what): return .notFound(what)
            case .invalid(let field, let reason):
                return TAXIIFailure(.unprocessableContent, "Invalid input", "\(field): \(reason)", code: "invalid", details: ["path": field])
            case .conflict(let why): return TAXIIFailure(.conflict, "Conflict", why, code: "conflict")
            case .forbidden(let why): return .forbidden(why)
            case .unauthenticated:
                var failure = TAXIIFailure(.unauthorized, "Unauthorized",
                                           "authentication required: HTTP Basic with your user name and an API token, or a Bearer token",
                                           code: "unauthorized")
                failure.headers[.wwwAuthenticate] = "Basic realm=\"clearinghouse\", Bearer realm=\"clearinghouse\""
                return failure
            case .rateLimited(let seconds):
                var failure = TAXIIFailure(.tooManyRequests, "Too Many Requests", domain.description, code: "rate-limited")
                failure.headers[.retryAfter] = String(seconds)
                return failure
            }
        case let http as HTTPError:
            switch http.status {
            case .notFound: return .notFound("resource")
            case .contentTooLarge:
                return TAXIIFailure(.contentTooLarge, "Request Entity Too Large",
                                    "the request body is larger than the API root's max_content_length", code: "too-large")
            case .methodNotAllowed:
                return TAXIIFailure(.methodNotAllowed, "Method Not Allowed", "this method is not supported on this resource", code: "method-not-allowed")
            default:
                let status = http.status.code >= 500 ? HTTPResponse.Status.internalServerError : http.status
                return TAXIIFailure(status, status.reasonPhrase, status.reasonPhrase, code: "http-\(status.code)")
            }
        default:
            logger.error("unexpected error under /taxii2", metadata: ["error": "\(String(reflecting: error))"])
            return TAXIIFailure(.internalServerError, "Internal Server Error", "an unexpected error occurred; it has been logged",
                                code: "internal")
        }
    }

    static func response(_ failure: TAXIIFailure) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(failure.resource)) ?? Data(#"{"title":"Error"}"#.utf8)
        var headers: HTTPFields = [.contentType: TAXIIMediaType.taxii.headerValue]
        headers.append(contentsOf: failure.headers)
        return Response(status: failure.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
