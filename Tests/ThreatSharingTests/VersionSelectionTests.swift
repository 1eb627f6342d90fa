// match[version] semantics (TAXII 2.1 section 3.4.2) and page cutting.
import Platform
import Testing
@testable import ThreatSharing

@Suite struct VersionSelectionTests {
    static func t(_ s: String) -> StixTimestamp { (try? StixTimestamp(parsing: s)) ?? .minimum }
    static let a = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    static let b = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
    // Two objects: A has three versions (stored out of order), B one.
    static let records = [
        ObjectVersionRecord(id: a, versionTimestamp: t("2020-02-01T00:00:00Z"), dateAdded: t("2024-01-01T00:00:01Z")),
        ObjectVersionRecord(id: a, versionTimestamp: t("2020-01-01T00:00:00Z"), dateAdded: t("2024-01-01T00:00:02Z")),
        ObjectVersionRecord(id: b, versionTimestamp: t("2021-01-01T00:00:00Z"), dateAdded: t("2024-01-01T00:00:03Z")),
        ObjectVersionRecord(id: a, versionTimestamp: t("2020-03-01T00:00:00Z"), dateAdded: t("2024-01-01T00:00:04Z")),
    ]

    func select(_ filter: VersionFilter) -> [String] {
        VersionSelection.select(Self.records, matching: filter).map { "\($0.id.prefix(1))@\($0.versionKey.format(.minimal).prefix(7))" }
    }

    @Test func defaultIsLast() throws {
        #expect(select(.default) == ["m@2021-01", "i@2020-03"])
        #expect(try TAXIIQuery.parse([], endpoint: .objects).version == .default)
    }

    @Test func firstAllAndTimestamps() throws {
        #expect(select(try VersionFilter(parsing: "first")) == ["i@2020-01", "m@2021-01"])
        #expect(select(try VersionFilter(parsing: "all")).count == 4)
        #expect(select(try VersionFilter(parsing: "2020-02-01T00:00:00.000Z")) == ["i@2020-02"])
        #expect(select(try VersionFilter(parsing: "1999-01-01T00:00:00Z")).isEmpty)
    }

    @Test func combinationsAreAUnion() throws {
        #expect(select(try VersionFilter(parsing: "first,last")) == ["i@2020-01", "m@2021-01", "i@2020-03"])
        #expect(select(try VersionFilter(parsing: "last, 2020-02-01T00:00:00Z")) == ["i@2020-02", "m@2021-01", "i@2020-03"])
        #expect(select(try VersionFilter(parsing: "all,first")).count == 4)
    }

    @Test func objectsWithoutModifiedAreVersionedByDateAdded() {
        let sco = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
        let records = [
            ObjectVersionRecord(id: sco, versionTimestamp: nil, dateAdded: Self.t("2024-01-01T00:00:00Z")),
            ObjectVersionRecord(id: sco, versionTimestamp: nil, dateAdded: Self.t("2024-06-01T00:00:00Z")),
        ]
        #expect(VersionSelection.select(records, matching: .default) == [records[1]])
        #expect(VersionSelection.select(records, matching: VersionFilter(first: true)) == [records[0]])
    }

    @Test func pageCountsOnlyFetchedRowsAndPointsNextAtTheLastReturned() {
        struct Row: Sendable { let at: Int64; let seq: Int64 }
        let rows = (0..<4).map { Row(at: 1_000 + Int64($0), seq: Int64($0) + 10) }
        let page = TAXIIPage(fetched: rows, limit: 3) { PageCursor(dateAdded: StixTimestamp(microseconds: $0.at), sequence: $0.seq) }
        #expect(page.rows.count == 3)
        #expect(page.more)
        #expect(page.next == PageCursor(dateAdded: StixTimestamp(microseconds: 1_002), sequence: 12))
        #expect(page.dateAddedFirst == StixTimestamp(microseconds: 1_000))
        #expect(page.dateAddedLast == StixTimestamp(microseconds: 1_002))
        let last = TAXIIPage(fetched: Array(rows.prefix(2)), limit: 3) { PageCursor(dateAdded: StixTimestamp(microseconds: $0.at), sequence: $0.seq) }
        #expect(!last.more)
        #expect(last.next == nil)
        #expect(last.rows.count == 2)
    }
}
