// Prioritisation: the rank orders SSVC first, then KEV, EPSS, CVSS; KEV forces exploitation to
// active; feeds import from the real files' formats; the queue pages by keyset under the access rule.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct CasePriorityTests {
    @Test func ssvcOutranksFeedsAndKEVMeansActiveExploitation() {
        let points = SSVCPoints(exploitation: .none, automatable: .yes, technicalImpact: .total, missionWellBeing: .high)
        let plain = CasePriority.compute(points: points, inKEV: false, epss: 0.9, cvss: 9.8)
        let kev = CasePriority.compute(points: points, inKEV: true, epss: nil, cvss: nil)
        #expect(plain.decision?.priority == .attend)
        #expect(kev.decision?.priority == .act)
        #expect(kev.decision?.path.first?.valueName == "Active")
        #expect(kev.reasons.contains("exploitation taken as active: the CVE is in CISA's KEV catalog"))
        #expect(kev.reasons[0].hasPrefix("SSVC Act (Exploitation: Active"))
        #expect(kev.rank > plain.rank)
        let undecided = CasePriority.compute(points: nil, inKEV: true, epss: 0.99, cvss: 10)
        #expect(undecided.rank < plain.rank)
        // Without SSVC: KEV, then EPSS, then CVSS.
        #expect(CasePriority.compute(points: nil, inKEV: true, epss: 0.01, cvss: 1).rank
                > CasePriority.compute(points: nil, inKEV: false, epss: 0.99, cvss: 10).rank)
        #expect(CasePriority.compute(points: nil, inKEV: false, epss: 0.02, cvss: 1).rank
                > CasePriority.compute(points: nil, inKEV: false, epss: 0.01, cvss: 10).rank)
        #expect(CasePriority.compute(points: nil, inKEV: false, epss: 0.5, cvss: 7.5).reasons
                == ["SSVC not decided yet (a reviewer records the decision points)", "EPSS 50% chance of exploitation in 30 days", "CVSS 7.5"])
    }

    @Test func epssLinesAreReadAndBadOnesNamed() throws {
        var reader = EPSSReader()
        #expect(try reader.read(line: "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z", number: 1) == nil)
        #expect(reader.modelVersion == "v2025.03.14")
        #expect(try reader.read(line: "cve,epss,percentile", number: 2) == nil)
        #expect(try reader.read(line: "CVE-2021-44228,0.94358,0.99957", number: 3) == EPSSScore(cve: "CVE-2021-44228", epss: 0.94358, percentile: 0.99957))
        #expect(throws: DomainError.invalid(field: "line 4.epss", reason: "must be a number from 0 to 1")) {
            try reader.read(line: "CVE-2021-1234,1.5,0.2", number: 4)
        }
        #expect(throws: DomainError.invalid(field: "line 5.cve", reason: "is not a CVE id")) { try reader.read(line: "GHSA-x,0.1,0.2", number: 5) }
    }

    @Test(arguments: Engine.available)
    func feedsRescoreCasesAndTheQueuePagesByPriority(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            var store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            store.batchSize = 2
            let lab = VulnerabilityStoreTests.reader("lab-a")
            let reviewer = VulnerabilityStoreTests.reader("lab-a", role: .reviewer)
            let outsider = VulnerabilityStoreTests.reader("lab-b")
            // Log4Shell is in the real KEV catalog; the other CVE is made up.
            let log4j = try await store.submit(try VulnerabilityStoreTests.submission(
                #"{"title":"JNDI lookup","aliases":["CVE-2021-44228"],"submitter_key":"1"}"#), by: lab)
            let scored = try await store.submit(try VulnerabilityStoreTests.submission(
                #"{"title":"Path traversal","aliases":["CVE-2031-0002"],"cvss":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","submitter_key":"2"}"#), by: lab)
            var plain: [String] = []
            for i in 0..<3 {
                plain.append(try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"Minor \#(i) thing \#(i * 7)","submitter_key":"p\#(i)"}"#), by: lab).caseId)
            }
            _ = try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"Their own","submitter_key":"o","tlp":"amber"}"#), by: outsider)

            let kev = try await store.importKEV(try Data(contentsOf: try #require(TestData.url("vulns/kev/known_exploited_vulnerabilities.json"))), actor: "test")
            #expect(kev.imported > 1000 && kev.casesRescored == 1)
            let epss = try await store.importEPSS("""
                #model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z
                cve,epss,percentile
                CVE-2031-0002,0.5,0.97
                CVE-2021-44228,0.94,0.99
                bad line
                CVE-2030-0003,0.01,0.2
                """, actor: "test")
            #expect(epss.imported == 3 && epss.version == "v2025.03.14" && epss.casesRescored == 2)
            #expect(epss.errors == [BulkError(path: "line 5", reason: "needs 3 fields: cve,epss,percentile")])

            let first = try await store.priority(caseId: log4j.caseId, reader: lab)
            #expect(first.inKEV && first.epss == 0.94)
            #expect(first.reasons.contains("in CISA's Known Exploited Vulnerabilities catalog"))
            let second = try await store.priority(caseId: scored.caseId, reader: lab)
            #expect(second.cvss == 9.8 && !second.inKEV)

            // SSVC recorded by a reviewer puts the scored case on top; KEV alone does not beat a decision.
            let decided = try await store.setSSVC(caseId: scored.caseId, points: SSVCPoints(
                exploitation: .publicPoC, automatable: .yes, technicalImpact: .total, missionWellBeing: .medium), reason: "PoC public", by: reviewer)
            #expect(decided.decision?.priority == .trackStar && decided.reasons[0].hasPrefix("SSVC Track* (Exploitation: Public PoC"))
            await #expect(throws: DomainError.self) {
                try await store.setSSVC(caseId: scored.caseId, points: SSVCPoints(
                    exploitation: .none, automatable: .no, technicalImpact: .partial, missionWellBeing: .low), reason: "x", by: lab)
            }

            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try await store.queue(reader: lab, limit: 2, after: cursor)
                #expect(page.items.count <= 2)
                seen += page.items.map(\.id)
                cursor = page.next
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(Array(seen.prefix(2)) == [scored.caseId, log4j.caseId])
            #expect(Set(seen.suffix(3)) == Set(plain))
            let outsiders = try await store.queue(reader: outsider, limit: 10)
            #expect(outsiders.items.count == 1 && outsiders.items[0].title == "Their own")
            await #expect(throws: DomainError.notFound("case")) { try await store.priority(caseId: log4j.caseId, reader: outsider) }
            await #expect(throws: DomainError.self) { try await store.queue(reader: lab, after: "nonsense") }
        }
    }
}
