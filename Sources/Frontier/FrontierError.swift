// The one error type of the Frontier module: every bad input a caller can hand us (a model
// description, a policy document, a catalogue, a CSV, a command-line number) ends up here, and
// every case names the offending field so the message can be shown to a person as is.

import Foundation

public enum FrontierError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The text is not JSON at all (or not UTF-8).
    case invalidJSON(reason: String)
    case missingField(path: String)
    case wrongType(path: String, expected: String)
    /// A value of the right type that is not acceptable (negative, out of range, inconsistent).
    case invalidValue(path: String, reason: String)
    /// A value written with units, or a number whose unit cannot be what the field means.
    case wrongUnits(path: String, reason: String)
    case unknownAccelerator(path: String, name: String, known: [String])
    case unknownPrecision(path: String, precision: String, accelerator: String, available: [String])
    case csv(line: Int, reason: String)
    case unknownPolicy(id: String)
    /// A second document with an id and version already on record but different content.
    case conflictingPolicyVersion(id: String, version: String)

    /// The JSON path (or flag name) of the offending field, where there is one.
    public var path: String? {
        switch self {
        case .missingField(let p), .wrongType(let p, _), .invalidValue(let p, _), .wrongUnits(let p, _),
            .unknownAccelerator(let p, _, _), .unknownPrecision(let p, _, _, _):
            return p
        case .invalidJSON, .csv, .unknownPolicy, .conflictingPolicyVersion:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidJSON(let reason):
            return "$: not a valid JSON document: \(reason)"
        case .missingField(let path):
            return "\(path): required field is missing"
        case .wrongType(let path, let expected):
            return "\(path): expected \(expected)"
        case .invalidValue(let path, let reason):
            return "\(path): \(reason)"
        case .wrongUnits(let path, let reason):
            return "\(path): \(reason)"
        case .unknownAccelerator(let path, let name, let known):
            return "\(path): unknown accelerator \"\(name)\"; known: \(known.joined(separator: ", "))"
        case .unknownPrecision(let path, let precision, let accelerator, let available):
            return "\(path): \(accelerator) has no published dense peak for precision \"\(precision)\"; available: \(available.joined(separator: ", "))"
        case .csv(let line, let reason):
            return "CSV line \(line): \(reason)"
        case .unknownPolicy(let id):
            return "unknown policy \"\(id)\""
        case .conflictingPolicyVersion(let id, let version):
            return "policy \(id) version \(version) is already on record with different content; publish a new version instead"
        }
    }
}
