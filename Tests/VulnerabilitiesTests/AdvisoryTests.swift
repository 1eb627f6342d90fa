// Advisories on both engines: a validated case becomes a CSAF 2.0 advisory and an OSV record;
// re-publishing bumps the version and the revision history; the advisory is as hidden as its
// case; only publishable states publish; every publication is audited.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct AdvisoryTests {
    static let report = #"""
    {"title":"Heap overflow in libfoo's decoder","submitter_key":"adv-1","details":"A crafted header overflows a heap buffer.",
     "aliases":["CVE-2026-1234","GHSA-abcd-efgh-ijkl"],"package":{"ecosystem":"PyPI","name":"libfoo","purl":"pkg:pypi/libfoo"},
     "affected":">=1.0,<1.4.2","weakness":"CWE-787","cvss":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
     "evidence":[{"name":"poc.py","content_base64":"cHJpbnQoMSk=","reproducer":true}]}
    """#

    /// A case moved to `validated` by reviewer rita of lab-a.
    static func validatedCase(_ store: VulnerabilityStore, _ db: any Database) async throws -> String {
        let lab = VulnerabilityStoreTests.reader("lab-a")
        let rita = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "rita")
        let outcome = try await store.submit(try VulnerabilityStoreTests.submission(report), by: lab)
        _ = try await store.transition(caseId: outcome.caseId, to: "triage", reason: "reading", by: rita)
        _ = try await store.transition(caseId: outcome.caseId, to: "validated", reason: "poc crashes 1.4.1", by: rita)
        return outcome.caseId
    }

    @Test(arguments: Engine.available)
    func publishesVersionedCSAFAndOSV(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            let caseId = try await Self.validatedCase(store, test.db)
            let rita = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "rita")
            let member = VulnerabilityStoreTests.reader("lab-a")
            let outsider = VulnerabilityStoreTests.reader("lab-b", role: .reviewer)
            let settings = AdvisorySettings(publisherName: "Test CH", publisherNamespace: "https://ch.test")

            // Members do not publish; outsiders do not even find the case; a reason is required.
            await #expect(throws: DomainError.self) {
                try await store.publishAdvisory(caseId: caseId, AdvisoryPublication(reason: "x"), settings: settings, by: member)
            }
            await #expect(throws: DomainError.notFound("case")) {
                try await store.publishAdvisory(caseId: caseId, AdvisoryPublication(reason: "x"), settings: settings, by: outsider)
            }
            await #expect(throws: DomainError.invalid(field: "$.reason", reason: "is required")) {
                try await store.publishAdvisory(caseId: caseId, AdvisoryPublication(reason: " "), settings: settings, by: rita)
            }
            await #expect(throws: DomainError.invalid(field: "$.references[0]", reason: "must be an http(s) URL")) {
                try await store.publishAdvisory(caseId: caseId, AdvisoryPublication(reason: "x", references: ["javascript:alert(1)"]),
                                                settings: settings, by: rita)
            }

            let first = try await store.publishAdvisory(
                caseId: caseId, AdvisoryPublication(reason: "Initial interim advisory", remediation: "Disable header parsing."),
                settings: settings, by: rita)
            #expect(first.version == 1 && first.status == "interim")
            #expect(first.trackingId.hasPrefix("CH-2026-") && first.osvId.hasPrefix("OSV-CH-2026-"))
            let doc = first.csaf["document"]!
            #expect(doc["category"] == "csaf_security_advisory" && doc["csaf_version"] == "2.0")
            #expect(doc["publisher"]?["name"] == "Test CH")
            #expect(doc["distribution"]?["tlp"]?["label"] == "AMBER")
            #expect(doc["tracking"]?["version"] == "1" && doc["tracking"]?["status"] == "interim")
            #expect(doc["tracking"]?["revision_history"]?.arrayValue?.count == 1)
            let vuln = first.csaf["vulnerabilities"]?.arrayValue?.first
            #expect(vuln?["cve"] == "CVE-2026-1234")
            #expect(vuln?["cwe"]?["id"] == "CWE-787" && vuln?["cwe"]?["name"] == "Out-of-bounds Write")
            #expect(vuln?["scores"]?.arrayValue?.first?["cvss_v3"]?["baseScore"] == .double(9.8))
            #expect(vuln?["product_status"]?["known_affected"]?.arrayValue?.count == 1)
            #expect(vuln?["remediations"]?.arrayValue?.first?["category"] == "mitigation")
            let range = first.csaf["product_tree"]?["branches"]?.arrayValue?.first?["branches"]?.arrayValue?.first?["branches"]?.arrayValue?.first
            #expect(range?["name"] == "vers:pypi/>=1.0|<1.4.2")

            #expect(first.osv["id"] == .string(first.osvId))
            #expect(first.osv["aliases"] == ["CVE-2026-1234", "GHSA-ABCD-EFGH-IJKL"] || first.osv["aliases"] == ["CVE-2026-1234", "GHSA-abcd-efgh-ijkl"])
            let affected = first.osv["affected"]?.arrayValue?.first
            #expect(affected?["package"]?["ecosystem"] == "PyPI" && affected?["package"]?["name"] == "libfoo")
            #expect(affected?["ranges"]?.arrayValue?.first?["events"] == [["introduced": "1.0"], ["fixed": "1.4.2"]])
            #expect(first.osv["severity"]?.arrayValue?.first?["type"] == "CVSS_V3")

            // The case moves on; re-publishing bumps the version and keeps the history.
            for (state, why) in [("disclosed", "vendor told"), ("fixed", "1.4.2 released")] {
                _ = try await store.transition(caseId: caseId, to: state, reason: why, by: rita)
            }
            clock.advance(by: 3600)
            let second = try await store.publishAdvisory(caseId: caseId, AdvisoryPublication(reason: "Fixed in 1.4.2"), settings: settings, by: rita)
            #expect(second.version == 2 && second.status == "final" && second.trackingId == first.trackingId)
            let tracking = second.csaf["document"]!["tracking"]!
            #expect(tracking["version"] == "2")
            #expect(tracking["revision_history"]?.arrayValue?.map { $0["summary"] } == ["Initial interim advisory", "Fixed in 1.4.2"])
            #expect(tracking["initial_release_date"] == first.csaf["document"]!["tracking"]!["initial_release_date"])
            #expect(tracking["current_release_date"] != tracking["initial_release_date"])
            #expect(second.csaf["vulnerabilities"]?.arrayValue?.first?["product_status"]?["fixed"] != nil)
            #expect(second.osv["published"] == first.osv["published"] && second.osv["modified"] != first.osv["modified"])
            #expect(try await store.caseSummary(id: caseId, reader: rita).state == "published")
            // A published case can be revised again.
            let third = try await store.publishAdvisory(caseId: caseId, AdvisoryPublication(reason: "Credit added"), settings: settings, by: rita)
            #expect(third.version == 3)

            // Reading: by tracking id, OSV id or case id; versions kept; the latest by default.
            #expect(try await store.advisoryVersions(first.trackingId, reader: member).map(\.version) == [1, 2, 3])
            #expect(try await store.advisory(first.osvId, reader: member).version == 3)
            #expect(try await store.advisory(caseId, version: 1, reader: member).csaf == first.csaf)
            let listed = try await store.advisories(reader: member)
            #expect(listed.total == 1 && listed.items.map(\.version) == [3])

            // Hidden like its case: 404 and absent from lists and counts.
            await #expect(throws: DomainError.notFound("advisory")) { try await store.advisory(first.trackingId, reader: outsider) }
            #expect(try await store.advisories(reader: outsider).total == 0)

            let audited = try await test.db.read { conn in
                try await conn.scalarInt("SELECT count(*) FROM audit_log WHERE action = 'vulns.advisory.publish' AND target = $1",
                                         [.text(first.trackingId)])
            }
            #expect(audited == 3)
        }
    }

    @Test(arguments: Engine.available)
    func onlyValidatedDisclosedOrFixedCasesPublish(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let rita = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "rita")
            let fresh = try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"Unchecked","submitter_key":"n"}"#), by: rita)
            await #expect(throws: DomainError.conflict("a new case cannot be published as an advisory; it must be validated, disclosed or fixed")) {
                try await store.publishAdvisory(caseId: fresh.caseId, AdvisoryPublication(reason: "x"), settings: AdvisorySettings(), by: rita)
            }
            #expect(try await store.advisories(reader: rita).total == 0)
        }
    }

    @Test(arguments: Engine.available)
    func settingsAreAdministeredAndAudited(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let admin = VulnerabilityStoreTests.reader("lab-a", role: .admin, name: "root")
            #expect(try await store.advisorySettings() == AdvisorySettings())
            await #expect(throws: DomainError.self) {
                try await store.setAdvisorySettings(AdvisorySettings(publisherName: "X"), by: VulnerabilityStoreTests.reader("lab-a", role: .reviewer))
            }
            await #expect(throws: DomainError.invalid(field: "$.osv_prefix", reason: "must be letters and digits, at most one hyphen")) {
                try await store.setAdvisorySettings(AdvisorySettings(osvPrefix: "OSV CH"), by: admin)
            }
            let wanted = AdvisorySettings(publisherName: "CISA CH", publisherNamespace: "https://ch.example.gov", trackingPrefix: "CISA",
                                          osvPrefix: "OSV-CISA", feedCollection: "c-1")
            _ = try await store.setAdvisorySettings(wanted, by: admin)
            #expect(try await store.advisorySettings() == wanted)
        }
    }

    @Test func rangeTextBecomesEvents() {
        typealias E = AdvisoryDocuments.RangeEvent
        #expect(AdvisoryDocuments.events("introduced 0, fixed 2.3") == [E(kind: "introduced", version: "0"), E(kind: "fixed", version: "2.3")])
        #expect(AdvisoryDocuments.events(">=1.0,<1.2") == [E(kind: "introduced", version: "1.0"), E(kind: "fixed", version: "1.2")])
        #expect(AdvisoryDocuments.events("<= 2.0") == [E(kind: "introduced", version: "0"), E(kind: "last_affected", version: "2.0")])
        #expect(AdvisoryDocuments.events("= 1.5") == [E(kind: "introduced", version: "1.5"), E(kind: "last_affected", version: "1.5")])
        #expect(AdvisoryDocuments.events("all versions before the rewrite") == nil)
        #expect(AdvisoryDocuments.events("") == nil)
    }
}
