// Errors at the edge. Domain errors become RFC 9457 problem details on the JSON API and an error
// page on the web; anything unexpected is logged at error level and answered with a generic 500
// that never carries internals. A missing route answers like any other missing record.
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Platform

/// An RFC 9457 problem details body.
public struct Problem: Codable, Sendable {
    public var type: String = "about:blank"
    public var title: String
    public var status: Int
    public var detail: String?
    /// The offending input, as a JSON path or parameter name, when one is to blame.
    public var field: String?

    public init(status: HTTPResponse.Status, detail: String?, field: String? = nil) {
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.field = field
    }
}

extension MediaType {
    static let problemJSON = MediaType(type: .application, subType: "problem+json")
}

/// Turns thrown errors into answers: problem+json under `/api`, an HTML page elsewhere. Errors of
/// other protocols (TAXII) are rendered by their own middleware further in.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let renderPage: @Sendable (HTTPResponse.Status, String, AppContext) -> Response

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, detail, field, headers) = Self.classify(error, context: context)
            if request.uri.path.hasPrefix("/api/") || request.uri.path == "/api" {
                return Self.problem(status: status, detail: detail, field: field, extraHeaders: headers)
            }
            var response = renderPage(status, detail, context)
            for header in headers { response.headers.append(header) }
            return response
        }
    }

    static func classify(_ error: any Error, context: AppContext) -> (HTTPResponse.Status, String, String?, HTTPFields) {
        var headers = HTTPFields()
        switch error {
        case let domain as DomainError:
            switch domain {
            case .notFound: return (.notFound, domain.description, nil, headers)
            case .invalid(let field, let reason): return (.unprocessableContent, "\(field): \(reason)", field, headers)
            case .conflict(let why): return (.conflict, why, nil, headers)
            case .forbidden(let why): return (.forbidden, why, nil, headers)
            case .unauthenticated:
                headers[.wwwAuthenticate] = "Bearer realm=\"clearinghouse\", Basic realm=\"clearinghouse\""
                return (.unauthorized, "authentication required: send a Bearer token, or Basic with your user name and a token", nil, headers)
            case .rateLimited(let seconds):
                headers[.retryAfter] = String(seconds)
                return (.tooManyRequests, domain.description, nil, headers)
            }
        case let input as InputError:
            return (input.status, input.message, input.field, headers)
        case let http as HTTPError:
            let detail: String = switch http.status {
            case .notFound: "not found"
            case .contentTooLarge: "the request body is larger than this endpoint accepts"
            case .methodNotAllowed: "method not allowed"
            default: http.body ?? http.status.reasonPhrase
            }
            for field in http.headers { headers.append(field) }
            return (http.status, detail, nil, headers)
        default:
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "type": "\(type(of: error))"])
            return (.internalServerError, "an unexpected error occurred; it has been logged", nil, headers)
        }
    }

    static func problem(status: HTTPResponse.Status, detail: String?, field: String? = nil, extraHeaders: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(Problem(status: status, detail: detail, field: field))) ?? Data()
        var headers: HTTPFields = [.contentType: MediaType.problemJSON.description]
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Input that cannot be read: malformed JSON, a wrong type, an unknown field, a bad parameter.
public struct InputError: Error, Sendable {
    public var status: HTTPResponse.Status = .badRequest
    public var field: String?
    public var message: String

    public init(status: HTTPResponse.Status = .badRequest, field: String?, _ message: String) {
        self.status = status
        self.field = field
        self.message = message
    }
}
