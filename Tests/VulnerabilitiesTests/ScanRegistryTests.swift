// The scan registry on both engines: targets parsed and normalised (a bad one named by its JSON
// path), "who is scanning X" matching purls across versions and CPE wildcards in SQL, overlaps
// shown to both parties when each may see the other, and an outsider seeing nothing (answers,
// counts, overlaps, 404s). Plus evidence attached to an existing case counting for validation.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct ScanRegistryTests {
    @Test func targetsAreParsedAndNormalised() throws {
        let purl = try ScanTarget(parsing: "pkg:PyPI/Django_Rest@3.1?arch=x86#src", path: "$.targets[0]")
        #expect(purl.kind == .purl && purl.key == "pkg:pypi/django-rest" && purl.version == "3.1")
        #expect(try ScanTarget(parsing: "pkg:npm/%40angular/core", path: "p").key == "pkg:npm/@angular/core")
        let repo = try ScanTarget(parsing: "https://www.GitHub.com/PSF/Requests.git/", path: "p")
        #expect(repo.kind == .repo && repo.key == "github.com/psf/requests")
        #expect(try ScanTarget(parsing: "git@github.com:psf/requests.git", path: "p").key == "github.com/psf/requests")
        let cpe = try ScanTarget(parsing: "cpe:2.3:a:OpenSSL:openssl:3.0.1:*:*:*:*:*:*:*", path: "p")
        #expect(cpe.kind == .cpe && cpe.version == "3.0.1" && cpe.cpe[1] == "openssl" && cpe.key == "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*")

        for (bad, why) in [("pkg:pypi", "needs a type and a name"), ("cpe:2.3:a:openssl", "11 attributes"),
                           ("cpe:2.3:x:v:p:*:*:*:*:*:*:*:*", "part must be"), ("cpe:2.3:a:open ssl:p:*:*:*:*:*:*:*:*", "attribute vendor"),
                           ("cpe:2.3:a:v:p:1.*:*:*:*:*:*:*:*", "partial wildcards"), ("ftp://example.org/x", "repository URL"),
                           ("https://github.com/", "no repository path"), ("", "1 to 1000")] {
            #expect(throws: DomainError.self, "\(bad)") { try ScanTarget(parsing: bad, path: "$.targets[3]") }
            do { _ = try ScanTarget(parsing: bad, path: "$.targets[3]") } catch DomainError.invalid(let field, let reason) {
                #expect(field == "$.targets[3]" && reason.contains(why), "\(bad): \(reason)")
            }
        }
    }

    static func orgs(_ db: any Database) async throws {
        try await db.write { conn in
            for (id, name) in [("lab-a", "Lab A"), ("lab-b", "Lab B"), ("lab-c", "Lab C")] {
                try await conn.execute("INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, 'ai-developer', 0)", [.text(id), .text(name)])
            }
        }
    }

    @Test(arguments: Engine.available)
    func whoIsScanningAndOverlapsFollowTheAccessRule(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let manual = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: manual.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let a = VulnerabilityStoreTests.reader("lab-a"), b = VulnerabilityStoreTests.reader("lab-b")
            let outsider = VulnerabilityStoreTests.reader("lab-c")
            let coordinator = Reader(userId: "u-gov", userName: "coord", orgId: "gov", orgKind: .government, role: .reviewer)
            let day: TimeInterval = 86_400, t0 = manual.now

            // A and B share with each other; C keeps its campaign to itself (AMBER, no sharing).
            let scanA = try await store.declareScan(ScanDeclaration(
                title: "Fuzzing Django", targets: ["pkg:pypi/django", "https://github.com/django/django"], startsAt: t0, endsAt: t0 + 10 * day,
                method: "coverage-guided fuzzing", shareOrgs: ["Lab B"]), by: a)
            let scanB = try await store.declareScan(ScanDeclaration(
                title: "Agent audit", targets: ["pkg:pypi/Django@4.2.1", "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"], startsAt: t0 + 5 * day,
                endsAt: t0 + 20 * day, method: "AI agent", shareOrgs: ["lab-a"]), by: b)
            let scanC = try await store.declareScan(ScanDeclaration(
                title: "Secret sweep", targets: ["https://GitHub.com/Django/Django.git", "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"],
                startsAt: t0 + 1 * day, endsAt: t0 + 3 * day, method: "static analysis"), by: outsider)
            #expect(scanA.overlapCount == 0 && scanB.overlapCount == 1 && scanA.targets.map(\.kind) == [.purl, .repo])

            // Both parties see the overlap (each may see the other's campaign); C's overlap with A is C's alone.
            #expect(try await store.scanOverlaps(id: scanA.id, reader: a).map(\.id) == [scanB.id])
            #expect(try await store.scanOverlaps(id: scanB.id, reader: b).map(\.id) == [scanA.id])
            #expect(try await store.scan(id: scanA.id, reader: a).overlapCount == 1)
            #expect(try await store.scanOverlaps(id: scanC.id, reader: outsider).isEmpty)
            #expect(try await store.scanOverlaps(id: scanC.id, reader: coordinator).map(\.id) == [scanA.id])
            #expect(try await store.scan(id: scanA.id, reader: coordinator).overlapCount == 2)

            // Who is scanning: a versioned purl matches the unversioned one and the same version; another version does not.
            let django = try ScanTarget(parsing: "pkg:pypi/django@4.2.1", path: "target")
            #expect(try await store.scans(reader: a, query: ScanQuery(target: django)).items.map(\.id) == [scanA.id, scanB.id])
            let other = try ScanTarget(parsing: "pkg:pypi/django@5.0", path: "target")
            #expect(try await store.scans(reader: a, query: ScanQuery(target: other)).items.map(\.id) == [scanA.id])
            // A CPE wildcard matches a specific version and the reverse.
            let openssl = try ScanTarget(parsing: "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*", path: "target")
            #expect(try await store.scans(reader: coordinator, query: ScanQuery(target: openssl)).items.map(\.id) == [scanC.id, scanB.id])
            let anyOpenSSL = try ScanTarget(parsing: "cpe:2.3:*:openssl:*:*:*:*:*:*:*:*:*", path: "target")
            #expect(try await store.scans(reader: coordinator, query: ScanQuery(target: anyOpenSSL)).total == 2)
            let libressl = try ScanTarget(parsing: "cpe:2.3:a:openbsd:libressl:*:*:*:*:*:*:*:*", path: "target")
            #expect(try await store.scans(reader: coordinator, query: ScanQuery(target: libressl)).total == 0)
            // At a time: only windows containing it.
            let repo = try ScanTarget(parsing: "https://github.com/django/django", path: "target")
            #expect(try await store.scans(reader: coordinator, query: ScanQuery(target: repo, at: t0 + 2 * day)).items.map(\.id) == [scanA.id, scanC.id])
            #expect(try await store.scans(reader: coordinator, query: ScanQuery(target: repo, at: t0 + 4 * day)).items.map(\.id) == [scanA.id])

            // The outsider never sees A or B: not in who-is-scanning, counts, lists or by id.
            #expect(try await store.scans(reader: outsider, query: ScanQuery(target: repo)).items.map(\.id) == [scanC.id])
            #expect(try await store.scans(reader: outsider, query: ScanQuery(target: django)).total == 0)
            #expect(try await store.scans(reader: outsider, query: ScanQuery()).total == 1)
            #expect(try await store.scans(reader: a, query: ScanQuery()).total == 2)
            await #expect(throws: DomainError.notFound("scan campaign")) { try await store.scan(id: scanA.id, reader: outsider) }
            await #expect(throws: DomainError.notFound("scan campaign")) { try await store.scanOverlaps(id: scanA.id, reader: outsider) }
            await #expect(throws: DomainError.notFound("scan campaign")) { try await store.endScan(id: scanA.id, reason: "x", by: outsider) }

            // Ending early: only the owner; the window shrinks, so the overlap with a later campaign goes.
            await #expect(throws: DomainError.forbidden("only the organisation running the campaign ends it")) {
                try await store.endScan(id: scanA.id, reason: "done", by: b)
            }
            manual.advance(by: 2 * day)
            let ended = try await store.endScan(id: scanA.id, reason: "found enough", by: a)
            #expect(ended.effectiveEnd == manual.now && ended.status(at: manual.now) == "ended early" && ended.overlapCount == 0)
            await #expect(throws: DomainError.conflict("this campaign is already over")) { try await store.endScan(id: scanA.id, reason: "again", by: a) }
            #expect(try await store.scanOverlaps(id: scanB.id, reader: b).isEmpty)
            #expect(try await store.scans(reader: a, query: ScanQuery(target: django)).items.map(\.id) == [scanB.id])

            // Declarations are validated with the JSON path of the bad field; nothing is stored.
            let base = ScanDeclaration(title: "x", targets: ["pkg:cargo/serde"], startsAt: t0, endsAt: t0 + day, method: "m")
            var bad = base
            bad.targets = ["pkg:cargo/serde", "cpe:2.3:a:v"]
            await #expect(throws: DomainError.invalid(field: "$.targets[1]", reason: "CPE 2.3 name must be cpe:2.3: followed by 11 attributes separated by ':' (found 2)")) {
                try await store.declareScan(bad, by: a)
            }
            bad = base
            bad.targets = ["pkg:cargo/serde", "pkg:cargo/serde"]
            await #expect(throws: DomainError.invalid(field: "$.targets[1]", reason: "repeats $.targets[0]")) { try await store.declareScan(bad, by: a) }
            bad = base
            bad.endsAt = t0
            await #expect(throws: DomainError.invalid(field: "$.ends_at", reason: "must be after starts_at")) { try await store.declareScan(bad, by: a) }
            bad = base
            bad.shareOrgs = ["Lab B", "Nobody"]
            await #expect(throws: DomainError.invalid(field: "$.share_orgs[1]", reason: "names no organisation")) { try await store.declareScan(bad, by: a) }
            #expect(try await store.scans(reader: coordinator, query: ScanQuery()).total == 3)

            // Every change is in the audit log.
            let actions = try await test.db.read { conn in
                try await conn.query("SELECT action FROM audit_log WHERE action LIKE 'vulns.scan.%' ORDER BY seq").map { try $0.string("action") }
            }
            #expect(actions == ["vulns.scan.declare", "vulns.scan.declare", "vulns.scan.declare", "vulns.scan.end"])
        }
    }

    @Test(arguments: Engine.available)
    func evidenceAttachedToACaseIsSealedAndCountsForValidation(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let finder = VulnerabilityStoreTests.reader("lab-a"), reviewer = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "rev")
            let outsider = VulnerabilityStoreTests.reader("lab-c")
            let report = try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"Heap overflow","submitter_key":"h"}"#), by: finder)
            _ = try await store.transition(caseId: report.caseId, to: "triage", reason: "look", by: reviewer)
            await #expect(throws: DomainError.self) { try await store.transition(caseId: report.caseId, to: "validated", reason: "ok", by: reviewer) }
            let poc = Array("crash input \u{0}\u{1}".utf8)
            await #expect(throws: DomainError.notFound("case")) {
                try await store.attachEvidence(caseId: report.caseId, file: EvidenceFile(name: "poc.bin", content: poc, isReproducer: true), by: outsider)
            }
            await #expect(throws: DomainError.invalid(field: "name", reason: "must be a file name of 1 to 255 characters without slashes")) {
                try await store.attachEvidence(caseId: report.caseId, file: EvidenceFile(name: "../x", content: poc, isReproducer: true), by: finder)
            }
            let attached = try await store.attachEvidence(caseId: report.caseId, file: EvidenceFile(name: "poc.bin", content: poc, isReproducer: true), by: finder)
            #expect(attached.sha256 == Secrets.sha256Hex(poc) && attached.size == poc.count)
            // Sealed at rest: the stored bytes are not the file.
            let stored = try await test.db.read { conn in try await conn.first("SELECT sealed FROM vuln_case_evidence", [])!.bytes("sealed") }
            #expect(stored != poc && !stored.isEmpty)
            #expect(try await store.caseEvidenceContent(caseId: report.caseId, evidenceId: attached.id, reader: reviewer).content == poc)
            #expect(try await store.caseEvidence(caseId: report.caseId, reader: finder).map(\.name) == ["poc.bin"])
            await #expect(throws: DomainError.notFound("case")) { try await store.caseEvidence(caseId: report.caseId, reader: outsider) }
            #expect(try await store.transition(caseId: report.caseId, to: "validated", reason: "reproduced", by: reviewer).state == "validated")
        }
    }
}
