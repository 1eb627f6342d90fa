// Typed reads from a JSONDocument that fail with the JSON path of the offending field, so every
// intake format reports bad input the same way (`DomainError.invalid(field: "$.a.b", ...)`).
import Platform

struct JSONFields {
    let value: JSONDocument
    let path: String

    init(_ value: JSONDocument, path: String) throws(DomainError) {
        guard value.object != nil else { throw .invalid(field: path, reason: "must be an object") }
        self.value = value
        self.path = path
    }

    func at(_ key: String) -> String { "\(path).\(key)" }

    /// Refuses members other than `allowed` (our own format only; standards allow extensions).
    func onlyKnown(_ allowed: Set<String>) throws(DomainError) {
        for key in (value.object ?? [:]).keys.sorted() where !allowed.contains(key) {
            throw .invalid(field: at(key), reason: "unknown field")
        }
    }

    func string(_ key: String, required: Bool = false, maxLength: Int = 100_000) throws(DomainError) -> String? {
        guard let member = value[key], member != .null else {
            if required { throw .invalid(field: at(key), reason: "is required") }
            return nil
        }
        guard let text = member.string else { throw .invalid(field: at(key), reason: "must be a string") }
        if required && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .invalid(field: at(key), reason: "must not be empty")
        }
        if text.count > maxLength { throw .invalid(field: at(key), reason: "is longer than \(maxLength) characters") }
        return text
    }

    func array(_ key: String, required: Bool = false) throws(DomainError) -> [JSONDocument] {
        guard let member = value[key], member != .null else {
            if required { throw .invalid(field: at(key), reason: "is required") }
            return []
        }
        guard let items = member.array else { throw .invalid(field: at(key), reason: "must be an array") }
        return items
    }

    func strings(_ key: String) throws(DomainError) -> [String] {
        var out: [String] = []
        for (i, item) in try array(key).enumerated() {
            guard let text = item.string else { throw .invalid(field: "\(at(key))[\(i)]", reason: "must be a string") }
            out.append(text)
        }
        return out
    }

    func object(_ key: String, required: Bool = false) throws(DomainError) -> JSONFields? {
        guard let member = value[key], member != .null else {
            if required { throw .invalid(field: at(key), reason: "is required") }
            return nil
        }
        return try JSONFields(member, path: at(key))
    }

    func bool(_ key: String) throws(DomainError) -> Bool? {
        guard let member = value[key], member != .null else { return nil }
        guard case .bool(let b) = member else { throw .invalid(field: at(key), reason: "must be true or false") }
        return b
    }
}

import Foundation
