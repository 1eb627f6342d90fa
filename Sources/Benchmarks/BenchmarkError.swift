// The one error type of the Benchmarks module: every message names where the bad input is
// (file line, CSV row/column, or a JSON path such as `$.datasets[0].format`).
import Foundation

public enum BenchmarkError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Malformed or unexpected content. `location` is a JSON path, `line N`, or `row N, column C`.
    case invalidInput(location: String, reason: String)
    /// A required field is absent.
    case missingField(location: String)
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// A user-supplied regular expression did not compile.
    case invalidPattern(location: String, pattern: String, reason: String)
    /// The sandbox cannot isolate the child (missing tool, no namespace permission): fail closed.
    case sandboxUnavailable(reason: String)

    public var description: String {
        switch self {
        case .invalidInput(let location, let reason): return "\(location): \(reason)"
        case .missingField(let location): return "\(location): required field is missing"
        case .unreadable(let path, let reason): return "\(path): cannot read (\(reason))"
        case .invalidPattern(let location, let pattern, let reason):
            return "\(location): invalid regular expression \(pattern.debugDescription) (\(reason))"
        case .sandboxUnavailable(let reason): return "sandbox unavailable: \(reason)"
        }
    }
}

/// Renders a Codable coding path as a JSON path (`$.a.b[2].c`) so decoding errors name the field.
func jsonPath(_ codingPath: [any CodingKey], root: String = "$") -> String {
    var path = root
    for key in codingPath {
        if let index = key.intValue { path += "[\(index)]" } else { path += ".\(key.stringValue)" }
    }
    return path
}

/// Converts a DecodingError into a BenchmarkError that names the offending JSON path.
func benchmarkError(from error: any Error, root: String = "$") -> BenchmarkError {
    if let error = error as? BenchmarkError { return error }
    guard let decoding = error as? DecodingError else {
        return .invalidInput(location: root, reason: String(describing: error))
    }
    switch decoding {
    case .keyNotFound(let key, let context):
        return .missingField(location: jsonPath(context.codingPath + [key], root: root))
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return .invalidInput(location: jsonPath(context.codingPath, root: root), reason: context.debugDescription)
    case .dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.localizedDescription
        return .invalidInput(
            location: jsonPath(context.codingPath, root: root),
            reason: [context.debugDescription, underlying].compactMap { $0 }.joined(separator: ": "))
    @unknown default:
        return .invalidInput(location: root, reason: String(describing: decoding))
    }
}
