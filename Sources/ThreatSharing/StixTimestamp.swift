// STIX/TAXII timestamps: parsed once at ingest into integer microseconds since the Unix epoch
// (cheap to index, compare and page on) and formatted back canonically. Hand-written because
// DateFormatter is slow, locale-sensitive and loses microseconds.

/// An instant in UTC with microsecond resolution, in the range 0001-01-01 … 9999-12-31.
public struct StixTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func < (a: StixTimestamp, b: StixTimestamp) -> Bool { a.microseconds < b.microseconds }

    /// How many fractional-second digits to print.
    public enum Precision: Sendable {
        /// `.SSS` always (STIX `created`/`modified` SHOULD carry milliseconds).
        case millisecond
        /// `.SSSSSS` always: what we use for TAXII `date_added`, so a client that echoes
        /// `X-TAXII-Date-Added-Last` back as `added_after` gets exactly the next object.
        case microsecond
        /// Shortest of none/milliseconds/microseconds that loses nothing.
        case minimal
    }

    public static let minimum = StixTimestamp(microseconds: daysFromCivil(1, 1, 1) * 86_400_000_000)
    public static let maximum = StixTimestamp(
        microseconds: daysFromCivil(9999, 12, 31) * 86_400_000_000 + 86_399_999_999)

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (RFC 3339, UTC only, as STIX requires).
    /// Fractions finer than a microsecond are truncated, since storage keeps microseconds.
    public init(parsing text: String) throws(TimestampError) {
        var text = text
        let parsed: Int64? = text.withUTF8 { StixTimestamp.parseUTF8($0) }
        guard let parsed else { throw TimestampError.invalid(text) }
        self.microseconds = parsed
    }

    public var description: String { format(.minimal) }

    public func format(_ precision: Precision = .millisecond) -> String {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 { rest += perDay; days -= 1 }
        let (y, m, d) = StixTimestamp.civilFromDays(days)
        let secondsOfDay = Int(rest / 1_000_000)
        let micros = Int(rest % 1_000_000)
        var out = [UInt8]()
        out.reserveCapacity(27)
        func put(_ value: Int, _ width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(48 + v % 10)
                v /= 10
            }
            out.append(contentsOf: digits)
        }
        put(Int(y), 4); out.append(45); put(Int(m), 2); out.append(45); put(Int(d), 2)
        out.append(84)
        put(secondsOfDay / 3600, 2); out.append(58)
        put(secondsOfDay / 60 % 60, 2); out.append(58)
        put(secondsOfDay % 60, 2)
        switch precision {
        case .millisecond:
            out.append(46); put(micros / 1000, 3)
        case .microsecond:
            out.append(46); put(micros, 6)
        case .minimal:
            if micros % 1000 != 0 {
                out.append(46); put(micros, 6)
            } else if micros != 0 {
                out.append(46); put(micros / 1000, 3)
            }
        }
        out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    /// Returns nil on any deviation from the grammar or an impossible date/time.
    static func parseUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Minimum "YYYY-MM-DDTHH:MM:SSZ" is 20 bytes.
        guard b.count >= 20, b.count <= 64 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            var v = 0
            for i in start..<(start + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == 45,
              let month = digits(5, 2), b[7] == 45,
              let day = digits(8, 2), b[10] == 84,
              let hour = digits(11, 2), b[13] == 58,
              let minute = digits(14, 2), b[16] == 58,
              let second = digits(17, 2)
        else { return nil }
        guard year >= 1, month >= 1, month <= 12, day >= 1,
              day <= daysInMonth(year, month), hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var micros = 0
        var i = 19
        if b[i] == 46 {  // '.'
            i += 1
            let fractionStart = i
            var scale = 100_000
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                micros += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > fractionStart else { return nil }
        }
        guard i == b.count - 1, b[i] == 90 else { return nil }  // exactly one trailing 'Z'
        let days = daysFromCivil(Int64(year), Int64(month), Int64(day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000 + Int64(micros)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}

public enum TimestampError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let text):
            "'\(text.prefix(64))' is not an RFC 3339 UTC timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z"
        }
    }
}
