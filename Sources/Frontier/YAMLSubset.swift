// A reader for the part of YAML that model description files use, producing the same JSON tree the
// JSON reader gives, so one validator (ModelDescription) names the same fields for both formats.
//
// Why not a YAML library: a full YAML 1.2 parser (Yams wraps libyaml) costs a C target on every
// clean build for a file format that, here, is a handful of keys. The subset is deliberately
// small and refuses — with the line number — what it does not understand instead of guessing:
//
// Supported: block mappings (`key: value`), block sequences (`- item`, including `- key: value`
// items continued on indented lines), flow sequences and mappings on one line (`[a, b]`,
// `{suite: x, score: 0.4}`), plain, 'single' and "double" quoted scalars, `#` comments, a leading
// `---`. Plain scalars `true`/`false` are booleans, `null`/`~` is null, plain numbers are numbers,
// everything else is a string.
// Refused: tabs in indentation, anchors and aliases (`&`, `*`), tags (`!`), block scalars (`|`,
// `>`), multi-line plain scalars, several documents, duplicate keys.

import Foundation
import Platform

public enum YAMLSubset {
    public static func parse(_ text: String) throws -> JSONValue {
        var lines: [Line] = []
        var sawDocumentStart = false
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let leading = line.prefix { $0 == " " || $0 == "\t" }
            if leading.contains("\t") { throw error(number, "tabs are not allowed in indentation; use spaces") }
            let content = try stripComment(String(line.dropFirst(leading.count)), line: number)
            if content.isEmpty { continue }
            if content == "---" && leading.isEmpty {
                guard !sawDocumentStart && lines.isEmpty else { throw error(number, "only one YAML document per file") }
                sawDocumentStart = true
                continue
            }
            if content == "..." && leading.isEmpty { break }
            lines.append(Line(number: number, indent: leading.count, text: content))
        }
        guard !lines.isEmpty else { throw FrontierError.invalidJSON(reason: "the YAML document is empty") }
        var parser = BlockParser(lines: lines)
        let value = try parser.parseBlock(indent: lines[0].indent)
        if parser.index < lines.count {
            throw error(lines[parser.index].number, "unexpected indentation")
        }
        return value
    }

    struct Line {
        let number: Int
        let indent: Int
        let text: String
    }

    static func error(_ line: Int, _ reason: String) -> FrontierError {
        FrontierError.invalidJSON(reason: "YAML line \(line): \(reason)")
    }

    /// Removes a `#` comment that is outside quotes and starts the line or follows a space.
    static func stripComment(_ s: String, line: Int) throws -> String {
        var quote: Character?
        var previous: Character = " "
        var result = ""
        for ch in s {
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "'" || ch == "\"" {
                if previous == " " || previous == "[" || previous == "{" || previous == "," || previous == ":" || result.isEmpty { quote = ch }
            } else if ch == "#" && (previous == " " || result.isEmpty) {
                break
            }
            result.append(ch)
            previous = ch
        }
        return result.trimmingCharacters(in: .whitespaces)
    }

    struct BlockParser {
        let lines: [Line]
        var index = 0

        init(lines: [Line]) { self.lines = lines }

        mutating func parseBlock(indent: Int) throws -> JSONValue {
            let first = lines[index]
            if first.text == "-" || first.text.hasPrefix("- ") {
                return try parseSequence(indent: indent)
            }
            if splitKey(first.text) != nil {
                return try parseMapping(indent: indent)
            }
            index += 1
            if index < lines.count && lines[index].indent >= indent && lines[index].indent > 0 {
                throw YAMLSubset.error(lines[index].number, "multi-line plain scalars are not supported; quote the value on one line")
            }
            return try YAMLSubset.scalarOrFlow(first.text, line: first.number)
        }

        mutating func parseSequence(indent: Int) throws -> JSONValue {
            var items: [JSONValue] = []
            while index < lines.count, lines[index].indent == indent,
                  lines[index].text == "-" || lines[index].text.hasPrefix("- ") {
                let line = lines[index]
                let rest = String(line.text.dropFirst(1)).trimmingCharacters(in: .whitespaces)
                if rest.isEmpty {
                    index += 1
                    guard index < lines.count, lines[index].indent > indent else { items.append(.null); continue }
                    items.append(try parseBlock(indent: lines[index].indent))
                    continue
                }
                // `- key: value` opens a mapping whose further keys are indented to the key's column.
                let itemIndent = indent + (line.text.count - rest.count)
                if splitKey(rest) != nil, !rest.hasPrefix("[") && !rest.hasPrefix("{") && !rest.hasPrefix("\"") && !rest.hasPrefix("'") {
                    var sub = lines
                    sub[index] = Line(number: line.number, indent: itemIndent, text: rest)
                    var nested = BlockParser(lines: sub)
                    nested.index = index
                    items.append(try nested.parseMapping(indent: itemIndent))
                    index = nested.index
                } else {
                    index += 1
                    items.append(try YAMLSubset.scalarOrFlow(rest, line: line.number))
                }
            }
            if index < lines.count, lines[index].indent > indent {
                throw YAMLSubset.error(lines[index].number, "unexpected indentation inside a sequence")
            }
            return .array(items)
        }

        mutating func parseMapping(indent: Int) throws -> JSONValue {
            var object: [String: JSONValue] = [:]
            while index < lines.count, lines[index].indent == indent {
                let line = lines[index]
                guard let (key, rest) = splitKey(line.text) else {
                    if line.text.hasPrefix("- ") || line.text == "-" {
                        throw YAMLSubset.error(line.number, "a sequence item where a \"key: value\" line was expected")
                    }
                    throw YAMLSubset.error(line.number, "expected \"key: value\"")
                }
                guard object[key] == nil else { throw YAMLSubset.error(line.number, "duplicate key \"\(key)\"") }
                index += 1
                if rest.isEmpty {
                    if index < lines.count, lines[index].indent > indent {
                        object[key] = try parseBlock(indent: lines[index].indent)
                    } else if index < lines.count, lines[index].indent == indent,
                              lines[index].text == "-" || lines[index].text.hasPrefix("- ") {
                        // YAML lets a sequence under a key sit at the key's own indentation.
                        object[key] = try parseSequence(indent: indent)
                    } else {
                        object[key] = .null
                    }
                } else {
                    object[key] = try YAMLSubset.scalarOrFlow(rest, line: line.number)
                    if index < lines.count, lines[index].indent > indent {
                        throw YAMLSubset.error(lines[index].number, "unexpected indentation; a key with an inline value cannot also have nested lines")
                    }
                }
            }
            if index < lines.count, lines[index].indent > indent {
                throw YAMLSubset.error(lines[index].number, "unexpected indentation")
            }
            return .object(object)
        }

        /// `key: rest` or `key:` (the colon must end the line or be followed by a space).
        func splitKey(_ text: String) -> (String, String)? {
            YAMLSubset.splitKey(text)
        }
    }

    static func splitKey(_ text: String) -> (String, String)? {
        var quote: Character?
        var depth = 0
        let chars = Array(text)
        for (i, ch) in chars.enumerated() {
            if let q = quote { if ch == q { quote = nil }; continue }
            switch ch {
            case "'", "\"": if i == 0 { quote = ch }
            case "[", "{": depth += 1
            case "]", "}": depth -= 1
            case ":" where depth == 0 && (i + 1 == chars.count || chars[i + 1] == " "):
                var key = String(chars[..<i]).trimmingCharacters(in: .whitespaces)
                if key.count >= 2, let f = key.first, f == "\"" || f == "'", key.last == f {
                    key = String(key.dropFirst().dropLast())
                }
                guard !key.isEmpty else { return nil }
                return (key, String(chars[(i + 1)...]).trimmingCharacters(in: .whitespaces))
            default: break
            }
        }
        return nil
    }

    static func scalarOrFlow(_ text: String, line: Int) throws -> JSONValue {
        var flow = FlowParser(chars: Array(text), line: line)
        let value = try flow.value()
        flow.skipSpaces()
        guard flow.position == flow.chars.count else {
            throw error(line, "unexpected text after the value: \"\(String(flow.chars[flow.position...]))\"")
        }
        return value
    }

    /// One-line values: scalars, `[…]` and `{…}`.
    struct FlowParser {
        let chars: [Character]
        let line: Int
        var position = 0

        init(chars: [Character], line: Int) { self.chars = chars; self.line = line }

        mutating func skipSpaces() { while position < chars.count, chars[position] == " " { position += 1 } }

        mutating func value(inFlow: Bool = false) throws -> JSONValue {
            skipSpaces()
            guard position < chars.count else { return .null }
            switch chars[position] {
            case "[":
                position += 1
                var items: [JSONValue] = []
                skipSpaces()
                if position < chars.count, chars[position] == "]" { position += 1; return .array(items) }
                while true {
                    items.append(try value(inFlow: true))
                    skipSpaces()
                    guard position < chars.count else { throw YAMLSubset.error(line, "unclosed [") }
                    if chars[position] == "," { position += 1; continue }
                    if chars[position] == "]" { position += 1; return .array(items) }
                    throw YAMLSubset.error(line, "expected , or ] in a flow sequence")
                }
            case "{":
                position += 1
                var object: [String: JSONValue] = [:]
                skipSpaces()
                if position < chars.count, chars[position] == "}" { position += 1; return .object(object) }
                while true {
                    skipSpaces()
                    let keyValue = try value(inFlow: true)
                    guard case .string(let key) = keyValue else { throw YAMLSubset.error(line, "a flow mapping key must be text") }
                    skipSpaces()
                    guard position < chars.count, chars[position] == ":" else { throw YAMLSubset.error(line, "expected : after \"\(key)\"") }
                    position += 1
                    guard object[key] == nil else { throw YAMLSubset.error(line, "duplicate key \"\(key)\"") }
                    object[key] = try value(inFlow: true)
                    skipSpaces()
                    guard position < chars.count else { throw YAMLSubset.error(line, "unclosed {") }
                    if chars[position] == "," { position += 1; continue }
                    if chars[position] == "}" { position += 1; return .object(object) }
                    throw YAMLSubset.error(line, "expected , or } in a flow mapping")
                }
            case "\"", "'":
                return .string(try quoted(chars[position]))
            case "&", "*", "!":
                throw YAMLSubset.error(line, "anchors, aliases and tags are not supported")
            case "|", ">":
                throw YAMLSubset.error(line, "block scalars (| and >) are not supported; quote the value on one line")
            default:
                let stops: Set<Character> = inFlow ? [",", "]", "}", ":"] : []
                let start = position
                while position < chars.count, !stops.contains(chars[position]) { position += 1 }
                let plain = String(chars[start..<position]).trimmingCharacters(in: .whitespaces)
                return YAMLSubset.plainScalar(plain)
            }
        }

        mutating func quoted(_ q: Character) throws -> String {
            position += 1
            var out = ""
            while position < chars.count {
                let ch = chars[position]
                position += 1
                if ch == q {
                    // '' inside single quotes is an escaped quote.
                    if q == "'", position < chars.count, chars[position] == "'" { out.append("'"); position += 1; continue }
                    return out
                }
                if q == "\"" && ch == "\\" {
                    guard position < chars.count else { break }
                    let e = chars[position]
                    position += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    case "/": out.append("/")
                    default: throw YAMLSubset.error(line, "unsupported escape \\\(e)")
                    }
                    continue
                }
                out.append(ch)
            }
            throw YAMLSubset.error(line, "unclosed quoted string")
        }
    }

    static func plainScalar(_ s: String) -> JSONValue {
        switch s {
        case "", "null", "Null", "NULL", "~": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            // Only plain numbers become numbers; "70B" or "1e25 FLOP" stay text so the
            // validator can say they carry a unit.
            if let d = FrontierNumber.parse(s) { return .double(d) }
            return .string(s)
        }
    }
}
