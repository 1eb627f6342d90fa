// An RFC 4180 CSV reader: comma-separated fields, fields optionally enclosed in double quotes, a
// doubled quote inside a quoted field stands for one quote, and quoted fields may span lines.
// Records end at CRLF or LF. Used for Epoch AI's model tables, whose notes and abstracts contain
// commas, quotes and newlines.

import Foundation

public struct CSVRecord: Sendable, Equatable {
    /// 1-based physical line on which the record starts, for error messages.
    public let line: Int
    public let fields: [String]
}

public enum CSVParser {
    public static func parse(_ text: String) throws -> [CSVRecord] {
        let bytes = Array(text.utf8)
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var i = 0
        var inQuotes = false
        var fieldWasQuoted = false
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            records.append(CSVRecord(line: recordLine, fields: fields))
            fields.removeAll(keepingCapacity: true)
        }

        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < bytes.count, bytes[i + 1] == quote {
                        field.append(quote)
                        i += 2
                        continue
                    }
                    inQuotes = false
                    i += 1
                    // After a closing quote only a separator or the end of the record may follow.
                    if i < bytes.count, bytes[i] != comma, bytes[i] != cr, bytes[i] != lf {
                        throw FrontierError.csv(line: line, reason: "unexpected character after a closing quote")
                    }
                    continue
                }
                if b == lf { line += 1 }
                field.append(b)
                i += 1
                continue
            }
            switch b {
            case comma:
                endField()
                i += 1
            case cr, lf:
                endRecord()
                i += (b == cr && i + 1 < bytes.count && bytes[i + 1] == lf) ? 2 : 1
                line += 1
                recordLine = line
            case quote:
                guard field.isEmpty, !fieldWasQuoted else {
                    throw FrontierError.csv(line: line, reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                inQuotes = true
                fieldWasQuoted = true
                i += 1
            default:
                field.append(b)
                i += 1
            }
        }
        if inQuotes { throw FrontierError.csv(line: recordLine, reason: "quoted field is never closed") }
        // A final record without a trailing newline; a trailing newline adds no empty record.
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}

/// A CSV with a header row, addressed by column name.
public struct CSVTable: Sendable {
    public let header: [String]
    public let rows: [CSVRecord]
    private let index: [String: Int]

    public init(text: String) throws {
        var records = try CSVParser.parse(text)
        guard !records.isEmpty else { throw FrontierError.csv(line: 1, reason: "no header row") }
        let head = records.removeFirst()
        // A UTF-8 byte-order mark would otherwise become part of the first column name.
        header = head.fields.enumerated().map { $0.offset == 0 && $0.element.hasPrefix("\u{FEFF}") ? String($0.element.dropFirst()) : $0.element }
        for r in records where r.fields.count != header.count {
            throw FrontierError.csv(line: r.line, reason: "\(r.fields.count) fields where the header has \(header.count)")
        }
        rows = records
        var idx: [String: Int] = [:]
        for (i, name) in header.enumerated() where idx[name] == nil { idx[name] = i }
        index = idx
    }

    public func hasColumn(_ name: String) -> Bool { index[name] != nil }

    public func value(_ row: CSVRecord, _ column: String) -> String? {
        guard let i = index[column] else { return nil }
        return row.fields[i]
    }
}
