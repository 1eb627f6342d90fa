// TAXII 2.1 error resource and the typed request errors this module raises. The server encodes
// `TAXIIErrorResource` as the body of every error answer, so clients never see HTML or a 500.

/// The TAXII 2.1 error resource (section 3.6.1). `http_status` is a string in the specification.
public struct TAXIIErrorResource: Sendable, Hashable, Codable {
    public var title: String
    public var description: String?
    public var errorId: String?
    public var errorCode: String?
    public var httpStatus: String?
    public var externalDetails: String?
    public var details: [String: String]?

    public init(title: String, description: String? = nil, errorId: String? = nil, errorCode: String? = nil,
                httpStatus: Int? = nil, externalDetails: String? = nil, details: [String: String]? = nil) {
        self.title = title
        self.description = description
        self.errorId = errorId
        self.errorCode = errorCode
        self.httpStatus = httpStatus.map(String.init)
        self.externalDetails = externalDetails
        self.details = details
    }

    enum CodingKeys: String, CodingKey {
        case title, description, details
        case errorId = "error_id"
        case errorCode = "error_code"
        case httpStatus = "http_status"
        case externalDetails = "external_details"
    }
}

/// What can be wrong with a TAXII request before any data is touched. Each case knows its HTTP
/// status and TAXII error resource; the server adds 401/403/404/413 from its own knowledge.
public enum TAXIIRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No acceptable representation for `Accept` → 406.
    case notAcceptable(accept: String)
    /// Body media type not supported → 415.
    case unsupportedMediaType(contentType: String?)
    /// A query parameter has a bad value → 400.
    case invalidParameter(name: String, value: String, reason: String)
    /// A single-valued parameter appears more than once → 400.
    case repeatedParameter(name: String)
    /// A filter this endpoint does not support → 400.
    case unsupportedParameter(name: String)
    /// `next` does not decode → 400.
    case invalidCursor(reason: String)
    /// The body is not a bundle or envelope → 400.
    case invalidBody(StixBodyError)

    public var httpStatus: Int {
        switch self {
        case .notAcceptable: 406
        case .unsupportedMediaType: 415
        case .invalidParameter, .repeatedParameter, .unsupportedParameter, .invalidCursor, .invalidBody: 400
        }
    }

    public var description: String {
        switch self {
        case .notAcceptable(let accept):
            "none of the media types in Accept '\(accept.prefix(200))' can be served; use \(TAXIIMediaType.taxii.headerValue)"
        case .unsupportedMediaType(let contentType):
            "Content-Type '\((contentType ?? "(none)").prefix(200))' is not supported; send \(TAXIIMediaType.taxii.headerValue)"
        case .invalidParameter(let name, let value, let reason):
            "query parameter \(name)='\(value.prefix(120))' is invalid: \(reason)"
        case .repeatedParameter(let name): "query parameter \(name) may appear only once"
        case .unsupportedParameter(let name): "query parameter \(name) is not supported on this endpoint"
        case .invalidCursor(let reason): "query parameter next is invalid: \(reason)"
        case .invalidBody(let error): error.description
        }
    }

    /// The body the server sends.
    public var resource: TAXIIErrorResource {
        let title: String
        let code: String
        var details: [String: String]?
        switch self {
        case .notAcceptable: title = "Not Acceptable"; code = "not-acceptable"
        case .unsupportedMediaType: title = "Unsupported Media Type"; code = "unsupported-media-type"
        case .invalidParameter(let name, _, _):
            title = "Invalid query parameter"; code = "invalid-parameter"; details = ["parameter": name]
        case .repeatedParameter(let name):
            title = "Repeated query parameter"; code = "repeated-parameter"; details = ["parameter": name]
        case .unsupportedParameter(let name):
            title = "Unsupported query parameter"; code = "unsupported-parameter"; details = ["parameter": name]
        case .invalidCursor: title = "Invalid next cursor"; code = "invalid-cursor"; details = ["parameter": "next"]
        case .invalidBody(let error): title = "Invalid request body"; code = "invalid-body"; details = ["path": error.path]
        }
        return TAXIIErrorResource(title: title, description: description, errorCode: code, httpStatus: httpStatus, details: details)
    }
}
