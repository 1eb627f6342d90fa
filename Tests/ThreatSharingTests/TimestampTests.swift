// Timestamps are parsed once at ingest; a wrong value mis-orders versions and pages.
import Platform
import Testing
@testable import ThreatSharing

@Suite struct TimestampTests {
    @Test func parsesEpochAndKnownInstants() throws {
        #expect(try StixTimestamp(parsing: "1970-01-01T00:00:00Z").microseconds == 0)
        #expect(try StixTimestamp(parsing: "1970-01-01T00:00:01.5Z").microseconds == 1_500_000)
        // 2000-03-01 crosses a century leap day: 11017 days after the epoch.
        #expect(try StixTimestamp(parsing: "2000-03-01T00:00:00.000Z").microseconds == 11_017 * 86_400_000_000)
        #expect(try StixTimestamp(parsing: "1969-12-31T23:59:59.999999Z").microseconds == -1)
        #expect(try StixTimestamp(parsing: "2016-05-12T08:17:27.123456Z").microseconds == 1_463_041_047_123_456)
    }

    @Test(arguments: [
        "2024-01-31T12:00:00Z", "2024-02-29T23:59:59.999Z", "2017-06-01T00:00:00.000Z",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1969-07-20T20:17:40.5Z", "2020-10-27T14:49:39.188Z",
    ])
    func roundTripsThroughMicroseconds(_ text: String) throws {
        let t = try StixTimestamp(parsing: text)
        #expect(try StixTimestamp(parsing: t.format(.microsecond)) == t)
        #expect(try StixTimestamp(parsing: t.format(.minimal)) == t)
    }

    @Test func formatsCanonically() throws {
        let t = try StixTimestamp(parsing: "2020-10-27T14:49:39.188Z")
        #expect(t.format(.millisecond) == "2020-10-27T14:49:39.188Z")
        #expect(t.format(.microsecond) == "2020-10-27T14:49:39.188000Z")
        #expect(t.format(.minimal) == "2020-10-27T14:49:39.188Z")
        #expect(try StixTimestamp(parsing: "2020-10-27T14:49:39Z").format(.minimal) == "2020-10-27T14:49:39Z")
        #expect(try StixTimestamp(parsing: "2020-10-27T14:49:39.000001Z").format(.millisecond) == "2020-10-27T14:49:39.000Z")
        #expect(StixTimestamp(microseconds: -1).format(.microsecond) == "1969-12-31T23:59:59.999999Z")
    }

    @Test func truncatesBeyondMicroseconds() throws {
        #expect(try StixTimestamp(parsing: "2020-01-01T00:00:00.1234567891Z")
                == StixTimestamp(parsing: "2020-01-01T00:00:00.123456Z"))
    }

    @Test func ordersByInstant() throws {
        let a = try StixTimestamp(parsing: "2020-01-01T00:00:00.999Z")
        let b = try StixTimestamp(parsing: "2020-01-01T00:00:01Z")
        #expect(a < b)
    }

    @Test(arguments: [
        "", "2020-01-01", "2020-01-01T00:00:00", "2020-01-01T00:00:00+00:00", "2020-01-01T00:00:00z",
        "2020-01-01 00:00:00Z", "2020-13-01T00:00:00Z", "2021-02-29T00:00:00Z", "2020-04-31T00:00:00Z",
        "2020-01-01T24:00:00Z", "2020-01-01T00:60:00Z", "2020-01-01T00:00:60Z", "2020-01-01T00:00:00.Z",
        "0000-01-01T00:00:00Z", "2020-1-01T00:00:00Z", "2020-01-01T00:00:00ZZ", "２020-01-01T00:00:00Z",
        "2022-101-27T13:49:54.326Z",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: TimestampError.invalid(text)) { try StixTimestamp(parsing: text) }
    }

    @Test func errorMessageQuotesTheInput() {
        #expect(TimestampError.invalid("yesterday").description.contains("'yesterday'"))
    }
}
