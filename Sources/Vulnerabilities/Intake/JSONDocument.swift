// JSON for report intake: a plain value type and a resumable parser over a growing byte buffer.
// The parser reads one value (or one structural token) at a time; when the buffer ends inside
// it, it says so instead of failing, and the caller appends the next chunk and retries from the
// same place. That is what lets SARIF logs of any size stream through bounded memory
// (see `SARIFStream`): only the value being read is ever held, never the whole document.
import Foundation

/// One JSON value. Numbers keep their text so integers and decimals survive unchanged.
public enum JSONDocument: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONDocument])
    case object([String: JSONDocument])

    public subscript(key: String) -> JSONDocument? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public subscript(index: Int) -> JSONDocument? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSONDocument]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSONDocument]? { if case .object(let o) = self { return o } else { return nil } }
    public var int: Int? { if case .number(let n) = self { return Int(n) ?? Double(n).map { Int($0) } } else { return nil } }

    /// Parses a complete document held in memory (single reports, OSV and CVE records).
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONDocument {
        var reader = JSONReader(bytes: bytes, final: true)
        do throws(JSONReadStop) {
            let value = try reader.value()
            try reader.skipWhitespace()
            if reader.position < reader.bytes.count { throw reader.fail("unexpected data after the document") }
            return value
        } catch {
            switch error {
            case .needMore: throw JSONSyntaxError(offset: bytes.count, reason: "unexpected end of input")
            case .syntax(let syntax): throw syntax
            }
        }
    }

    /// Compact JSON text with sorted keys (stable for hashing and storage).
    public var compactText: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONDocument.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONDocument.writeString(key, to: &out)
                out += ":"
                members[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// Malformed JSON: what is wrong and the byte offset (from the start of the document) where.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "malformed JSON at byte \(offset): \(reason)" }
}

/// Why a read step stopped: the buffer ended inside it (retry with more bytes) or the JSON is bad.
enum JSONReadStop: Error {
    case needMore
    case syntax(JSONSyntaxError)
}

/// A cursor over the bytes received so far. `final` says no more bytes will come, so running out
/// is a syntax error rather than a request for more. `base` is the document offset of `bytes[0]`
/// (the buffer is compacted as values are consumed).
struct JSONReader {
    var bytes: [UInt8]
    var position = 0
    var base = 0
    var final: Bool
    /// Nesting limit: a hostile document cannot exhaust the stack.
    static let maximumDepth = 128

    init(bytes: [UInt8], final: Bool) {
        self.bytes = bytes
        self.final = final
    }

    func fail(_ reason: String) -> JSONReadStop {
        .syntax(JSONSyntaxError(offset: base + position, reason: reason))
    }

    /// Drops consumed bytes so the buffer holds only what is still unread.
    mutating func compact() {
        if position > 0 {
            bytes.removeFirst(position)
            base += position
            position = 0
        }
    }

    mutating func skipWhitespace() throws(JSONReadStop) {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-space byte, not consumed.
    mutating func peek() throws(JSONReadStop) -> UInt8 {
        try skipWhitespace()
        guard position < bytes.count else { throw final ? fail("unexpected end of input") : .needMore }
        return bytes[position]
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONReadStop) {
        guard try peek() == byte else { throw fail("expected \(what)") }
        position += 1
    }

    mutating func value(depth: Int = 0) throws(JSONReadStop) -> JSONDocument {
        if depth > Self.maximumDepth { throw fail("nesting deeper than \(Self.maximumDepth)") }
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"):
            position += 1
            var members: [String: JSONDocument] = [:]
            if try peek() == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try string()
                try expect(UInt8(ascii: ":"), "':'")
                if members[key] != nil { throw fail("duplicate member \"\(key)\"") }
                members[key] = try value(depth: depth + 1)
                let next = try peek()
                position += 1
                if next == UInt8(ascii: "}") { return .object(members) }
                if next != UInt8(ascii: ",") { position -= 1; throw fail("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONDocument] = []
            if try peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                let next = try peek()
                position += 1
                if next == UInt8(ascii: "]") { return .array(items) }
                if next != UInt8(ascii: ",") { position -= 1; throw fail("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try number())
        default:
            throw fail("unexpected character")
        }
    }

    mutating func literal(_ word: String) throws(JSONReadStop) {
        for expected in word.utf8 {
            guard position < bytes.count else { throw final ? fail("unexpected end of input") : .needMore }
            guard bytes[position] == expected else { throw fail("invalid literal") }
            position += 1
        }
    }

    mutating func number() throws(JSONReadStop) -> String {
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                position += 1
            default:
                return try checkedNumber(start)
            }
        }
        // A number may continue in the next chunk.
        if !final { throw .needMore }
        return try checkedNumber(start)
    }

    private func checkedNumber(_ start: Int) throws(JSONReadStop) -> String {
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        let valid = text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil
        guard valid else { throw JSONReadStop.syntax(JSONSyntaxError(offset: base + start, reason: "invalid number \(text)")) }
        return text
    }

    mutating func string() throws(JSONReadStop) -> String {
        position += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var run = position
        func more() -> JSONReadStop { final ? fail("unterminated string") : .needMore }
        while true {
            guard position < bytes.count else { throw more() }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: String(decoding: bytes[run..<position], as: UTF8.self).unicodeScalars)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") { position += 1; continue }
            scalars.append(contentsOf: String(decoding: bytes[run..<position], as: UTF8.self).unicodeScalars)
            guard position + 1 < bytes.count else { throw more() }
            let escape = bytes[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard position + 1 < bytes.count else { throw more() }
                    if bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        throw fail("unpaired surrogate")
                    }
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                scalars.append(scalar)
            default:
                throw fail("invalid escape")
            }
            run = position
        }
    }

    private mutating func hex4() throws(JSONReadStop) -> UInt32 {
        guard position + 4 <= bytes.count else { throw final ? fail("unterminated string") : .needMore }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            code = code * 16 + digit
            position += 1
        }
        return code
    }
}
