// Time as the platform stores and shows it: microseconds since the epoch in storage, UTC with the
// hour on every page, and an injected clock so deadline logic is testable.
import Foundation

extension Date {
    public var microsecondsSinceEpoch: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }

    public init(microsecondsSinceEpoch us: Int64) {
        self.init(timeIntervalSince1970: Double(us) / 1_000_000)
    }

    /// `2026-11-27T02:13:05Z`: ISO 8601 in UTC, whole seconds.
    public var iso8601: String { formatted(.iso8601) }

    /// `2026-11-27 02:13 UTC`: how pages show a time.
    public var utcDisplay: String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: self)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    public static func parseISO8601(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601) { return d }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? fractional.parse(text)
    }
}

/// The source of "now". Production uses the system clock; tests pass a fixed or stepping one.
public struct Clock: Sendable {
    public var now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = Clock { Date() }
}
