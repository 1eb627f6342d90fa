// An RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF or LF line ends, embedded newlines)
// so Inspect-style CSV datasets load without a dependency.
import Foundation

public enum CSV {
    /// Parses CSV text into rows of fields. Errors name the 1-based physical line where the bad
    /// field starts. A trailing line break does not produce an empty final row.
    public static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldWasQuoted = false
        var afterClosingQuote = false
        var line = 1
        var quoteStartLine = 1
        let bytes = Array(text.utf8)
        var index = 0

        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
            afterClosingQuote = false
        }
        func endRow() {
            endField()
            rows.append(row)
            row.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    inQuotes = false
                    afterClosingQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\r"):
                // CR LF ends a record; a lone CR is also accepted as a line end.
                endRow()
                line += 1
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "\n"):
                endRow()
                line += 1
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw BenchmarkError.invalidInput(location: "line \(line), field \(row.count + 1)", reason: "quote inside an unquoted field")
                }
                inQuotes = true
                fieldWasQuoted = true
                quoteStartLine = line
            default:
                if afterClosingQuote {
                    throw BenchmarkError.invalidInput(location: "line \(line), field \(row.count + 1)", reason: "text after the closing quote")
                }
                field.append(byte)
            }
            index += 1
        }
        if inQuotes {
            throw BenchmarkError.invalidInput(location: "line \(quoteStartLine), field \(row.count + 1)", reason: "quoted field is never closed")
        }
        if !field.isEmpty || !row.isEmpty || fieldWasQuoted { endRow() }
        return rows
    }
}
