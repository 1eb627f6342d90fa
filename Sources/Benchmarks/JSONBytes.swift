// A hand-written compact JSON writer for the per-sample hot path: the run log's sample lines, the
// request bodies the client sends, and the test server's replies. It writes byte for byte what
// JSONEncoder with `[.sortedKeys, .withoutEscapingSlashes]` writes for the same values (the tests
// compare the two), at a fraction of the cost: profiled in release, JSONEncoder was about a sixth
// of the client's CPU per sample. Callers write object members in sorted key order themselves.
import Foundation
import Platform

public struct JSONBytes: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Text copied as is (punctuation, keys known to need no escaping).
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ byte: UInt8) { bytes.append(byte) }

    /// `"key":` for a key that needs no escaping.
    public mutating func key(_ name: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string: `"` and `\` escaped, control characters as \b \t \n \f \r or \u00xx, the rest as UTF-8.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    public struct NonFinite: Error {}

    /// As JSONEncoder writes a Double: Swift's shortest round-trip text without a trailing ".0".
    /// JSONEncoder refuses NaN and infinities by default, and so does this.
    public mutating func double(_ value: Double) throws(NonFinite) {
        guard value.isFinite else { throw NonFinite() }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// Any JSON value; object members sorted by their UTF-8 bytes, as JSONEncoder sorts them.
    public mutating func value(_ value: JSONValue) throws(NonFinite) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): flag ? raw("true") : raw("false")
        case .int(let number): int(number)
        case .double(let number): try double(number)
        case .string(let text): string(text)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                try self.value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members): try object(members)
        }
    }

    public mutating func object(_ members: [String: JSONValue]) throws(NonFinite) {
        bytes.append(UInt8(ascii: "{"))
        let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, key) in keys.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
            try value(members[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `2026-11-27T05:48:21.123Z`: the run log's timestamp form (ISO 8601, UTC, milliseconds
    /// rounded to nearest), what its ISO8601DateFormatter writes. Years outside 1000...9999 go to
    /// the formatter.
    public mutating func timestamp(_ date: Date) {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = Int(ms - days * 86_400_000)
        // Civil date from days since 1970-01-01 (proleptic Gregorian, eras of 400 years).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        guard (1000...9999).contains(year) else {
            string(RunLog.timestampFormatter.string(from: date))
            return
        }
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        bytes.append(UInt8(ascii: "\""))
        digits(year, 4); bytes.append(UInt8(ascii: "-"))
        digits(month, 2); bytes.append(UInt8(ascii: "-"))
        digits(day, 2); bytes.append(UInt8(ascii: "T"))
        digits(msOfDay / 3_600_000, 2); bytes.append(UInt8(ascii: ":"))
        digits(msOfDay / 60_000 % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(msOfDay / 1000 % 60, 2); bytes.append(UInt8(ascii: "."))
        digits(msOfDay % 1000, 3); bytes.append(UInt8(ascii: "Z"))
        bytes.append(UInt8(ascii: "\""))
    }
}
