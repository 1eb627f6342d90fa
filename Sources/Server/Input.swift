// Reading input: JSON bodies with a size limit, unknown fields rejected, and every failure naming
// the offending field as a JSON path; query parameters parsed with the same care.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Platform

/// A JSON request body type that lists the fields it accepts, so unknown ones are rejected.
protocol APIInput: Decodable, Sendable {
    static var fields: Set<String> { get }
}

extension Request {
    /// Collects at most `limit` bytes of body; more answers 413 without reading the rest.
    func collectBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw InputError(status: .contentTooLarge, field: nil, "the request body is larger than \(limit) bytes")
        }
    }

    func decodeInput<T: APIInput>(_ type: T.Type, context: AppContext) async throws -> T {
        if let contentType = headers[.contentType], MediaType(from: contentType)?.isType(.applicationJson) != true {
            throw InputError(status: .unsupportedMediaType, field: nil, "send the body as application/json")
        }
        let buffer = try await collectBody(limit: context.maxUploadSize)
        return try JSONInput.decode(type, from: Data(buffer.readableBytesView))
    }
}

enum JSONInput {
    static func decode<T: APIInput>(_ type: T.Type, from data: Data) throws -> T {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw InputError(field: "$", "the body is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw InputError(field: "$", "the body must be a JSON object") }
        for key in dictionary.keys.sorted() where !T.fields.contains(key) {
            throw InputError(status: .unprocessableContent, field: "$.\(key)", "unknown field \(key)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw InputError(status: .unprocessableContent, field: path(error), describe(error))
        } catch let error as DomainError {
            if case .invalid(let field, let reason) = error { throw InputError(status: .unprocessableContent, field: field, reason) }
            throw error
        }
    }

    static func path(_ error: DecodingError) -> String {
        let (codingPath, extra): ([any CodingKey], (any CodingKey)?) = switch error {
        case .keyNotFound(let key, let context): (context.codingPath, key)
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): (context.codingPath, nil)
        @unknown default: ([], nil)
        }
        var path = "$"
        for key in codingPath + (extra.map { [$0] } ?? []) {
            if let index = key.intValue { path += "[\(index)]" } else { path += ".\(key.stringValue)" }
        }
        return path
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing required field \(key.stringValue)"
        case .typeMismatch(let type, _): return "expected \(typeName(type))"
        case .valueNotFound(let type, _): return "expected \(typeName(type)), found null"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "invalid value"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a \(name)"
        }
    }
}

/// Query parameters with validation that names the parameter.
struct Query {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    func string(_ name: String, maxLength: Int = 500) throws -> String? {
        guard let value = parameters.get(name) else { return nil }
        guard value.count <= maxLength else { throw InputError(field: name, "\(name) is longer than \(maxLength) characters") }
        return value.isEmpty ? nil : value
    }

    func int(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let raw = parameters.get(name), !raw.isEmpty else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw InputError(field: name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func date(_ name: String) throws -> Date? {
        guard let raw = parameters.get(name), !raw.isEmpty else { return nil }
        if let date = Date.parseISO8601(raw) { return date }
        // Pages send dates from <input type="date">.
        if let day = try? Date(raw + "T00:00:00Z", strategy: .iso8601) { return day }
        throw InputError(field: name, "\(name) must be an ISO 8601 time such as 2026-11-27T00:00:00Z")
    }
}
