// Bulk intake stores a chunk of results with a few set-based statements, deduplicating each
// result against the stored reports and the results before it in the same chunk. These tests
// hold it to the one-report-at-a-time behaviour: the same uploads stored one per transaction and
// in chunks must end in the same cases with the same reasons, candidates and counts.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct ChunkedIntakeTests {
    /// A fuzzing log: 5 crash signatures over 40 results (addresses and access sizes vary), a
    /// fingerprint repeated (the same submitter key again in one log), results without stacks
    /// that share a partial fingerprint, and one bad result.
    static func campaignLog() -> [UInt8] {
        var items: [String] = []
        for i in 0..<40 {
            let bug = i % 5
            let frames = ["__asan_memcpy", "parse_\(bug)(ctx*, int)", "read_\(bug)", "LLVMFuzzerTestOneInput"]
                .map { #"{"location":{"logicalLocations":[{"fullyQualifiedName":"\#($0)"}]}}"# }.joined(separator: ",")
            items.append(#"{"ruleId":"heap-buffer-overflow","message":{"text":"Heap-buffer-overflow READ \#(1 << (i % 4)) at 0x\#(String(i * 4099, radix: 16))"},"fingerprints":{"crash/v1":"run-\#(i % 37)"},"stacks":[{"frames":[\#(frames)]}]}"#)
        }
        for i in 0..<6 {
            items.append(#"{"ruleId":"CWE-476","message":{"text":"null dereference \#(i)"},"fingerprints":{"id":"nd-\#(i)"},"partialFingerprints":{"lineHash":"h\#(i % 2)"}}"#)
        }
        items.insert(#"{"message":{"text":7}}"#, at: 17)
        return Array(#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"fuzz"}},"results":[\#(items.joined(separator: ","))]}]}"#.utf8)
    }

    /// OSV records in one upload: a shared CVE joins, a shared GHSA with another CVE waits for a
    /// reviewer, alike prose in one package joins by text, two RustSec ids never join by text.
    static func advisories() throws -> [JSONDocument] {
        let text = "Path traversal in the archive extractor lets a crafted tar file write outside the target directory"
        let records = [
            #"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1","GHSA-aaaa"],"details":"one","affected":[{"package":{"ecosystem":"PyPI","name":"alpha"}}]}"#,
            #"{"id":"GHSA-aaaa","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1"],"details":"one again","affected":[{"package":{"ecosystem":"PyPI","name":"alpha"}}]}"#,
            #"{"id":"PYSEC-3","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-2","GHSA-aaaa"],"details":"three","affected":[{"package":{"ecosystem":"PyPI","name":"beta"}}]}"#,
            #"{"id":"PYSEC-4","modified":"2024-01-01T00:00:00Z","details":"\#(text)","affected":[{"package":{"ecosystem":"PyPI","name":"untar"}}]}"#,
            #"{"id":"OSV-5","modified":"2024-01-01T00:00:00Z","details":"\#(text) again","affected":[{"package":{"ecosystem":"PyPI","name":"untar"}}]}"#,
            #"{"id":"RUSTSEC-2024-1","modified":"2024-01-01T00:00:00Z","details":"crate is unmaintained, use another one","affected":[{"package":{"ecosystem":"crates.io","name":"old"}}]}"#,
            #"{"id":"RUSTSEC-2024-2","modified":"2024-01-01T00:00:00Z","details":"crate is unmaintained, use another one","affected":[{"package":{"ecosystem":"crates.io","name":"old"}}]}"#,
            #"{"id":"PYSEC-8","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1"],"details":"eight","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"PyPI","name":"gamma"}}]}"#,
        ]
        return try records.map { try JSONDocument.parse(Array($0.utf8)) }
    }

    struct Snapshot: Equatable, CustomStringConvertible {
        /// submitter key → (match reason, submitter key of its case's first report)
        var reports: [String: [String]] = [:]
        /// first report's submitter key → report count, priority rank
        var cases: [String: [Int64]] = [:]
        /// report's submitter key → other case's first report, reason
        var candidates: [String] = []
        var description: String { "reports \(reports)\ncases \(cases)\ncandidates \(candidates)" }
    }

    static func snapshot(_ db: any Database) async throws -> Snapshot {
        try await db.read { conn in
            var keyOf: [String: String] = [:]
            var firstOf: [String: String] = [:]
            let reports = try await conn.query("SELECT id, case_id, submitter_key, match_reason FROM vuln_reports")
            for row in reports { keyOf[try row.string("id")] = try row.string("submitter_key") }
            var snap = Snapshot()
            for row in try await conn.query("SELECT id, first_report, report_count, priority_rank FROM vuln_cases") {
                let first = keyOf[try row.string("first_report")] ?? "?"
                firstOf[try row.string("id")] = first
                snap.cases[first] = [try row.int("report_count"), try row.int("priority_rank")]
            }
            for row in reports {
                snap.reports[try row.string("submitter_key")] = [try row.string("match_reason"), firstOf[try row.string("case_id")] ?? "?"]
            }
            for row in try await conn.query("SELECT report_id, other_case_id, reason FROM vuln_candidates") {
                snap.candidates.append("\(keyOf[try row.string("report_id")] ?? "?") → \(firstOf[try row.string("other_case_id")] ?? "?"): \(try row.string("reason"))")
            }
            snap.candidates.sort()
            return snap
        }
    }

    /// Uploads the campaign log and the advisories (twice each) with `batchSize` results per chunk.
    static func upload(_ db: any Database, batchSize: Int) async throws -> (BulkOutcome, BulkOutcome, BulkOutcome, Snapshot) {
        var store = VulnerabilityStore(db: db, clock: ManualClock().clock, secrets: .ephemeral())
        store.batchSize = batchSize
        let lab = VulnerabilityStoreTests.reader("lab-a"), other = VulnerabilityStoreTests.reader("lab-b")
        let sarif = try await store.ingestSARIF(by: lab, nextChunk: VulnerabilityStoreTests.chunks(campaignLog(), size: 500))
        let osv = try await store.ingestRecords(try advisories(), format: .osv, by: other)
        let again = try await store.ingestSARIF(by: lab, nextChunk: VulnerabilityStoreTests.chunks(campaignLog(), size: 77))
        _ = try await store.ingestRecords(try advisories(), format: .osv, by: other)
        return (sarif, osv, again, try await snapshot(db))
    }

    @Test(arguments: Engine.available)
    func chunkedIntakeMatchesOneByOne(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { one in
            try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { chunked in
                let single = try await Self.upload(one.db, batchSize: 1)
                let batched = try await Self.upload(chunked.db, batchSize: 1000)
                #expect(single.3.reports.filter { batched.3.reports[$0.key] != $0.value } == [:])
                #expect(single.3.cases.filter { batched.3.cases[$0.key] != $0.value } == [:])
                #expect(single.3.candidates == batched.3.candidates)
                #expect(single.3 == batched.3)
                #expect(single.0 == batched.0 && single.1 == batched.1 && single.2 == batched.2)
                // What the uploads should have done, whichever way they were stored.
                let (sarif, osv, again, snap) = batched
                // 37 crash fingerprints in 5 cases (3 repeated), 6 null dereferences in 2.
                #expect(sarif.created == 43 && sarif.unchanged == 3 && sarif.merged == 36)
                #expect(sarif.errors == [BulkError(path: "$.runs[0].results[17].message.text", reason: "must be a string")])
                #expect(again.created == 0 && again.unchanged == 46)
                #expect(osv.created == 8 && osv.merged == 3)
                #expect(snap.reports.count == 51)
                #expect(snap.cases.count == 12)
                #expect(snap.candidates.count == 1 && snap.candidates[0].contains("different CVEs"))
                #expect(snap.reports.values.filter { $0[0].hasPrefix("text similarity") }.count == 1)
                // The CVSS vector on PYSEC-8 ranks the CVE-2024-1 case above the unscored ones.
                #expect(snap.cases.values.filter { $0[1] > 0 }.count == 1)
            }
        }
    }
}
