// A small JSON tree and a cursor that remembers its JSON path, so every document this module
// reads (model descriptions, policies, the accelerator catalogue) reports errors as
// `$.ledger[2].hours` rather than as a decoder's coding-path dump.

import Foundation

public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        // Bool before Double: Foundation would otherwise be free to read `true` as 1.
        if let b = try? container.decode(Bool.self) { self = .bool(b); return }
        if let d = try? container.decode(Double.self) { self = .number(d); return }
        if let s = try? container.decode(String.self) { self = .string(s); return }
        if let a = try? container.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? container.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "unsupported JSON value")
    }

    public static func parse(_ data: Data) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let context):
                let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                throw FrontierError.invalidJSON(reason: underlying ?? context.debugDescription)
            default:
                throw FrontierError.invalidJSON(reason: "\(error)")
            }
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A value plus the JSON path that led to it.
struct JSONCursor {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String = "$") {
        self.value = value
        self.path = path
    }

    func object() throws -> [String: JSONValue] {
        guard case .object(let o) = value else { throw FrontierError.wrongType(path: path, expected: "an object, got \(value.typeName)") }
        return o
    }

    /// The member `key`, or nil when absent or JSON null (null is treated as "not given").
    func optional(_ key: String) throws -> JSONCursor? {
        let o = try object()
        guard let v = o[key], v != .null else { return nil }
        return JSONCursor(v, path: "\(path).\(key)")
    }

    func required(_ key: String) throws -> JSONCursor {
        guard let c = try optional(key) else { throw FrontierError.missingField(path: "\(path).\(key)") }
        return c
    }

    func has(_ key: String) throws -> Bool { try optional(key) != nil }

    func array() throws -> [JSONCursor] {
        guard case .array(let a) = value else { throw FrontierError.wrongType(path: path, expected: "an array, got \(value.typeName)") }
        return a.enumerated().map { JSONCursor($0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws -> String {
        guard case .string(let s) = value else { throw FrontierError.wrongType(path: path, expected: "a string, got \(value.typeName)") }
        return s
    }

    func nonEmptyString() throws -> String {
        let s = try string()
        guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw FrontierError.invalidValue(path: path, reason: "must not be empty")
        }
        return s
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw FrontierError.wrongType(path: path, expected: "true or false, got \(value.typeName)") }
        return b
    }

    /// A JSON number, or a string holding a plain number ("70e9"). Strings with units are
    /// rejected with a units message.
    func number() throws -> Double {
        switch value {
        case .number(let d):
            guard d.isFinite else { throw FrontierError.invalidValue(path: path, reason: "must be finite") }
            return d
        case .string(let s):
            return try FrontierNumber.parse(s, field: path)
        default:
            throw FrontierError.wrongType(path: path, expected: "a number, got \(value.typeName)")
        }
    }

    func nonNegativeNumber() throws -> Double {
        let d = try number()
        guard d >= 0 else { throw FrontierError.invalidValue(path: path, reason: "must not be negative, got \(FrontierNumber.scientific(d))") }
        return d
    }

    func positiveNumber() throws -> Double {
        let d = try number()
        guard d > 0 else { throw FrontierError.invalidValue(path: path, reason: "must be greater than zero, got \(FrontierNumber.scientific(d))") }
        return d
    }
}
