// A small JSON tree and a cursor that remembers its JSON path, so every document this module
// reads (model descriptions, policies, the accelerator catalogue) reports errors as
// `$.ledger[2].hours` rather than as a decoder's coding-path dump.

import Foundation
import Platform

extension JSONValue {
    /// Parses a document this module reads, reporting malformed JSON as a `FrontierError`.
    static func document(_ data: Data) throws -> JSONValue {
        do {
            return try JSONValue.parse(data)
        } catch {
            throw FrontierError.invalidJSON(reason: error.description)
        }
    }

    /// "a number", "an object": the kind as error messages phrase it.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .array, .object: return "an \(kindName)"
        default: return "a \(kindName)"
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
        case .int(let i):
            return Double(i)
        case .double(let d):
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
