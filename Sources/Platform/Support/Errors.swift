// Domain errors. They carry what went wrong in words a user can act on; only the server maps them
// to HTTP statuses and to the error body its protocol defines.
import Foundation

public enum DomainError: Error, Equatable, CustomStringConvertible {
    /// Missing, or not visible to this reader: the two answer alike on purpose.
    case notFound(String)
    /// Input that breaks a rule; `field` names the offending input (a JSON path or form field).
    case invalid(field: String, reason: String)
    /// The request conflicts with what exists (a duplicate name, a state that no longer allows it).
    case conflict(String)
    /// The reader can see the record but may not do this to it.
    case forbidden(String)
    case unauthenticated
    case rateLimited(retryAfterSeconds: Int)

    public var description: String {
        switch self {
        case .notFound(let what): return "\(what) not found"
        case .invalid(let field, let reason): return "\(field): \(reason)"
        case .conflict(let why): return why
        case .forbidden(let why): return why
        case .unauthenticated: return "authentication required"
        case .rateLimited(let seconds): return "too many attempts; try again in \(seconds) s"
        }
    }
}

public enum ConfigurationError: Error, CustomStringConvertible {
    case invalid(key: String, reason: String)
    public var description: String {
        switch self {
        case .invalid(let key, let reason): return "configuration \(key): \(reason)"
        }
    }
}
