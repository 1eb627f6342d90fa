// multipart/form-data (RFC 7578) for the few forms that upload a file: the body is split on its
// boundary into parts, each with its field name, an optional file name and its bytes. Text parts
// read like `Form` values; the signed-in variant checks the CSRF part like `sessionForm` does.
import Foundation
import Hummingbird
import NIOCore
import Platform

struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var content: [UInt8]
    }

    let parts: [Part]

    /// Parses a body given the Content-Type header; throws `.invalid` naming what is wrong.
    init(contentType: String, body: [UInt8]) throws {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
              let range = contentType.range(of: "boundary=", options: .caseInsensitive) else {
            throw DomainError.invalid(field: "file", reason: "send the form as multipart/form-data")
        }
        var boundary = contentType[range.upperBound...].prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        if boundary.hasPrefix("\""), boundary.hasSuffix("\""), boundary.count >= 2 { boundary = String(boundary.dropFirst().dropLast()) }
        guard !boundary.isEmpty else { throw DomainError.invalid(field: "file", reason: "the form has no boundary") }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        var positions: [Int] = []
        var i = 0
        while let found = Self.find(delimiter, in: body, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { throw DomainError.invalid(field: "file", reason: "the form body is incomplete") }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            if body[from..<min(from + 2, body.count)].elementsEqual([13, 10]) { from += 2 }
            var to = end
            if to >= 2, body[(to - 2)..<to].elementsEqual([13, 10]) { to -= 2 }
            guard from <= to, let headerEnd = Self.find([13, 10, 13, 10], in: Array(body[from..<to]), from: 0) else { continue }
            let header = String(decoding: body[from..<(from + headerEnd)], as: UTF8.self)
            var name: String?, filename: String?
            for line in header.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = Self.parameter("name", in: line)
                filename = Self.parameter("filename", in: line)
            }
            guard let name else { continue }
            parts.append(Part(name: name, filename: filename, content: Array(body[(from + headerEnd + 4)..<to])))
        }
        self.parts = parts
    }

    /// A text field's value, trimmed; nil when absent or empty (like `Form`).
    subscript(_ key: String) -> String? {
        guard let part = parts.first(where: { $0.name == key && $0.filename == nil }) else { return nil }
        let value = String(decoding: part.content, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }

    func file(_ key: String) -> Part? { parts.first { $0.name == key && $0.filename != nil } }

    static func parameter(_ key: String, in line: String) -> String? {
        guard let range = line.range(of: "; \(key)=\"") ?? line.range(of: ";\(key)=\"") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != "\"" })
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension WebController {
    /// Reads a signed-in multipart form post (at most `limit` bytes) and checks its CSRF token.
    func sessionMultipart(_ request: Request, _ context: AppContext, limit: Int) async throws -> (Reader, MultipartForm) {
        guard let reader = context.reader, let secret = context.sessionSecret else { throw DomainError.unauthenticated }
        let buffer = try await request.collectBody(limit: limit)
        let form = try MultipartForm(contentType: request.headers[.contentType] ?? "", body: Array(buffer.readableBytesView))
        guard let sent = form["_csrf"], Secrets.constantTimeEqual(sent, Directory.csrfToken(forSession: secret)) else {
            throw DomainError.forbidden("the form's security token did not match; reload the page and try again")
        }
        return (reader, form)
    }
}
