// Query parameters: hostile or sloppy values must become TAXII 400s naming the parameter.
import Foundation
import Platform
import Testing
@testable import ThreatSharing

@Suite struct QueryTests {
    let limits = TAXIIPageLimits(defaultLimit: 100, maximumLimit: 1000)

    func parse(_ items: [(String, String)], _ endpoint: TAXIIQueryEndpoint = .objects) throws(TAXIIRequestError) -> TAXIIQuery {
        try TAXIIQuery.parse(items.map { (name: $0.0, value: $0.1) }, endpoint: endpoint, limits: limits)
    }

    @Test func defaults() throws {
        let q = try parse([])
        #expect(q.limit == 100)
        #expect(q.version == .default)
        #expect(q.version.last && !q.version.first && !q.version.all)
        #expect(q.ids.isEmpty && q.types.isEmpty && q.specVersions.isEmpty && q.addedAfter == nil && q.next == nil)
    }

    @Test func parsesEveryFilter() throws {
        let cursor = PageCursor(dateAdded: StixTimestamp(microseconds: 1_700_000_000_000_000), sequence: 42)
        let q = try parse([
            ("added_after", "2024-01-31T12:00:00.5Z"), ("limit", "25"), ("next", cursor.token),
            ("match[id]", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            ("match[type]", "indicator, malware"), ("match[type]", "malware,tool"),
            ("match[version]", "first,2016-04-06T20:03:48Z"), ("match[version]", "last"),
            ("match[spec_version]", "2.1"), ("utm_source", "ignored"),
        ])
        #expect(q.addedAfter == (try StixTimestamp(parsing: "2024-01-31T12:00:00.500Z")))
        #expect(q.limit == 25)
        #expect(q.next == cursor)
        #expect(q.ids == ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"])
        #expect(q.types == ["indicator", "malware", "tool"])
        #expect(q.version.first && q.version.last && !q.version.all)
        #expect(q.version.timestamps == [try StixTimestamp(parsing: "2016-04-06T20:03:48Z")])
        #expect(q.specVersions == ["2.1"])
    }

    @Test(arguments: ["1001", "99999999999999999999999999", "000001000000"])
    func hugeLimitsAreClamped(_ value: String) throws {
        #expect(try parse([("limit", value)]).limit == 1000)
    }

    static let badRequests: [(items: [(String, String)], endpoint: TAXIIQueryEndpoint, parameter: String)] = [
        ([("added_after", "yesterday")], .objects, "added_after"),
        ([("added_after", "2024-01-31T12:00:00+01:00")], .objects, "added_after"),
        ([("limit", "0")], .objects, "limit"),
        ([("limit", "-5")], .objects, "limit"),
        ([("limit", "ten")], .objects, "limit"),
        ([("limit", "")], .objects, "limit"),
        ([("limit", "5"), ("limit", "6")], .objects, "limit"),
        ([("next", "not-a-cursor")], .objects, "next"),
        ([("match[id]", "indicator--nope")], .objects, "match[id]"),
        ([("match[type]", "Indicator")], .objects, "match[type]"),
        ([("match[type]", "indicator,,malware")], .objects, "match[type]"),
        ([("match[version]", "newest")], .objects, "match[version]"),
        ([("match[spec_version]", "two")], .objects, "match[spec_version]"),
        ([("match[id]", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")], .versions, "match[id]"),
        ([("match[type]", "indicator")], .object, "match[type]"),
        ([("match[labels]", "x")], .objects, "match[labels]"),
        ([("limit", "5")], .deleteObject, "limit"),
    ]

    @Test(arguments: 0..<badRequests.count)
    func refusesBadParameters(_ row: Int) {
        let bad = Self.badRequests[row]
        do {
            _ = try parse(bad.items, bad.endpoint)
            Issue.record("accepted \(bad.items)")
        } catch {
            #expect(error.httpStatus == 400)
            #expect(error.resource.details?["parameter"] == bad.parameter, "\(error)")
            #expect(error.resource.httpStatus == "400")
            #expect(error.description.contains(bad.parameter), "\(error)")
        }
    }

    @Test func errorResourceEncodesWithTAXIIFieldNames() throws {
        let resource = TAXIIRequestError.invalidParameter(name: "limit", value: "x", reason: "expected a positive integer").resource
        let json = try JSONValue.parse(JSONValue.encodedResource(resource))
        #expect(json["title"] == "Invalid query parameter")
        #expect(json["http_status"] == "400")
        #expect(json["error_code"] == "invalid-parameter")
        #expect(json["details"]?["parameter"] == "limit")
    }
}

extension JSONValue {
    static func encodedResource(_ r: TAXIIErrorResource) throws -> Data {
        try JSONEncoder().encode(r)
    }
}

