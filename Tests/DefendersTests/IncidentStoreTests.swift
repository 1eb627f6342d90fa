// Incident reports on both engines: filing with sealed evidence and digests, RED visibility in
// reads, lists and counts, statute tags suggested with reasons and confirmed by a person, bad input
// named by field without losing what was filed, and every view recorded.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Defenders

@Suite struct IncidentStoreTests {
    static let migrations = Schema.platform + DefendersSchema.migrations

    static func reader(_ org: String, user: String? = nil, kind: OrganisationKind = .defender, role: Role = .member) -> Reader {
        let u = user ?? "u-\(org)"
        return Reader(userId: u, userName: "name-\(u)", orgId: org, orgKind: kind, role: role)
    }

    static func draft(evidence: [EvidenceUpload] = []) -> IncidentDraft {
        var d = IncidentDraft(title: "Agent-driven intrusion into billing", summary: "An automated agent enumerated and exfiltrated patient billing records.",
                              startedAt: "2026-11-20T02:00:00Z", detectedAt: "2026-11-20T06:30:00Z")
        d.systemsAffected = ["billing-db"]
        d.dataAffected = ["patient billing records"]
        d.indicators = [Indicator(type: "ipv4-addr", value: "203.0.113.7"), Indicator(type: "domain-name", value: "exfil.example")]
        d.aiEvidence = AIEvidence(agentTraces: "tool-call log recovered", prompts: "", tooling: "open-source agent framework", rateAndScale: "12 000 queries in 4 minutes")
        d.facts.unauthorizedAccess = true
        d.facts.protectedComputer = true
        d.facts.informationObtained = true
        d.coordinatorOrgs = ["coord-org"]
        d.evidence = evidence
        return d
    }

    @Test(arguments: Engine.available)
    func filedIncidentSealsEvidenceAndRecordsDigest(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = IncidentStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let hospital = Self.reader("rural-hospital")
            let trace = Array("agent step 1: nmap 10.0.0.0/24\n".utf8)
            let incident = try await store.file(Self.draft(evidence: [EvidenceUpload(name: "trace.log", mediaType: "text/plain", content: trace)]), by: hospital)
            #expect(incident.label.tlp == .red)
            #expect(incident.evidence.count == 1)
            #expect(incident.evidence[0].sha256 == Secrets.sha256Hex(trace))
            #expect(incident.evidence[0].size == Int64(trace.count))
            let stored = try await test.db.read { try await $0.first("SELECT sealed FROM incident_evidence")!.bytes("sealed") }
            #expect(!String(decoding: stored, as: UTF8.self).contains("nmap"))
            let (_, plain) = try await store.evidenceContent(incidentId: incident.id, evidenceId: incident.evidence[0].id, reader: hospital)
            #expect(plain == trace)
        }
    }

    @Test(arguments: Engine.available)
    func redIncidentIsInvisibleOutsideReporterAndNamedCoordinators(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = IncidentStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let hospital = Self.reader("rural-hospital")
            let colleague = Self.reader("rural-hospital", user: "u-colleague")
            let coordinator = Self.reader("coord-org", kind: .government)
            let stranger = Self.reader("other-bank")
            let reviewerElsewhere = Self.reader("other-gov", kind: .government, role: .reviewer)
            let incident = try await store.file(Self.draft(), by: hospital)
            for insider in [hospital, colleague, coordinator] {
                #expect(try await store.incident(id: incident.id, reader: insider).id == incident.id)
                let list = try await store.list(reader: insider)
                #expect(list.total == 1 && list.items.map(\.id) == [incident.id])
            }
            for outsider in [stranger, reviewerElsewhere] {
                await #expect(throws: DomainError.notFound("incident \(incident.id)")) { try await store.incident(id: incident.id, reader: outsider) }
                let list = try await store.list(reader: outsider)
                #expect(list.total == 0 && list.items.isEmpty)
                let search = try await store.list(reader: outsider, filter: IncidentFilter(text: "billing"))
                #expect(search.total == 0)
            }
            // The reporter widens it to a named user of another organisation.
            _ = try await store.share(incidentId: incident.id, tlp: .red, orgs: ["coord-org"], users: [stranger.userId], by: hospital)
            #expect(try await store.list(reader: stranger).total == 1)
            #expect(try await store.list(reader: reviewerElsewhere).total == 0)
            // Only the reporting organisation may widen.
            await #expect(throws: DomainError.self) {
                _ = try await store.share(incidentId: incident.id, tlp: .clear, orgs: [], users: [], by: coordinator)
            }
            #expect(try await store.list(reader: reviewerElsewhere).total == 0)
            // Every view is in the audit log.
            let views = try await store.auditTrail(id: incident.id).filter { $0.action == "incident.view" }
            #expect(views.map(\.actor) == [hospital.userName, colleague.userName, coordinator.userName])
        }
    }

    @Test func statuteSuggestionsFollowTheFactsWithReasons() {
        var f = IncidentFacts()
        #expect(StatuteRules.suggest(f).isEmpty)
        f.unauthorizedAccess = true; f.protectedComputer = true; f.informationObtained = true
        #expect(StatuteRules.suggest(f).map(\.provision) == ["1030(a)(2)"])
        #expect(StatuteRules.suggest(f)[0].reason.contains("protected computer"))
        f.damageCaused = true
        #expect(StatuteRules.suggest(f).map(\.provision) == ["1030(a)(2)", "1030(a)(5)"])
        f = IncidentFacts(); f.schemeToDefraud = true
        #expect(StatuteRules.suggest(f).isEmpty, "a scheme without wires is not 1343")
        f.interstateWires = true
        #expect(StatuteRules.suggest(f).map(\.provision) == ["1343"])
        f = IncidentFacts(); f.identityMeansMisused = true
        #expect(StatuteRules.suggest(f).map(\.tag) == [.s1028])
        #expect(StatuteRules.notice.contains("not a legal conclusion"))
        #expect(StatuteTag.parse("1030(a)(2)")?.subsection == "(a)(2)")
        #expect(StatuteTag.parse("10301") == nil)
        #expect(StatuteTag.parse("1029") == nil)
    }

    @Test(arguments: Engine.available)
    func badInputNamesTheFieldAndLosesNothingFiled(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            var store = IncidentStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            store.maxEvidenceBytes = 64
            let hospital = Self.reader("rural-hospital")
            let filed = try await store.file(Self.draft(evidence: [EvidenceUpload(name: "a.txt", content: Array("first".utf8))]), by: hospital)
            let auditBefore = try await AuditLog.head(test.db).seq

            var missing = Self.draft(); missing.startedAt = nil
            await #expect(throws: DomainError.invalid(field: "started_at", reason: "is required: an RFC 3339 time such as 2026-11-20T14:05:00Z")) {
                try await store.file(missing, by: hospital)
            }
            var garbled = Self.draft(); garbled.detectedAt = "yesterday"
            await #expect(throws: DomainError.self) { try await store.file(garbled, by: hospital) }
            let big = Self.draft(evidence: [EvidenceUpload(name: "ok.txt", content: [1]), EvidenceUpload(name: "dump.bin", content: Array(repeating: 7, count: 65))])
            do { _ = try await store.file(big, by: hospital); Issue.record("oversized evidence accepted") } catch let DomainError.invalid(field, reason) {
                #expect(field == "evidence[1].content")
                #expect(reason.contains("65 bytes") && reason.contains("64"))
            }
            do { _ = try await store.addEvidence(incidentId: filed.id, EvidenceUpload(name: "dump.bin", content: Array(repeating: 7, count: 65)), by: hospital); Issue.record("accepted") }
            catch let DomainError.invalid(field, _) { #expect(field == "evidence.content") }
            do { _ = try await store.confirmTags(incidentId: filed.id, tags: ["1030(a)(2)", "1031"], by: hospital); Issue.record("accepted") }
            catch let DomainError.invalid(field, reason) { #expect(field == "tags[1]" && reason.contains("1031")) }

            // Nothing half-written, nothing filed lost.
            #expect(try await store.list(reader: hospital).total == 1)
            let again = try await store.incident(id: filed.id, reader: hospital)
            #expect(again.evidence.map(\.name) == ["a.txt"] && again.confirmedTags.isEmpty)
            #expect(try await AuditLog.head(test.db).seq == auditBefore + 1, "only the view above was recorded")
        }
    }

    @Test(arguments: Engine.available)
    func aPersonConfirmsTagsAndListsFilterByThem(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = IncidentStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let hospital = Self.reader("rural-hospital")
            let first = try await store.file(Self.draft(), by: hospital)
            _ = try await store.file(Self.draft(), by: hospital)
            #expect(first.suggestions.map(\.provision) == ["1030(a)(2)"])
            let confirmed = try await store.confirmTags(incidentId: first.id, tags: ["1030(a)(2)", "18 USC 1343"], by: hospital)
            #expect(confirmed.confirmedTags.map(\.provision) == ["1030(a)(2)", "1343"])
            #expect(confirmed.confirmedBy == hospital.userName)
            let tagged = try await store.list(reader: hospital, filter: IncidentFilter(tag: .s1343))
            #expect(tagged.total == 1 && tagged.items[0].id == first.id)
            let page = try await store.list(reader: hospital, filter: IncidentFilter(limit: 1, offset: 1))
            #expect(page.total == 2 && page.items.count == 1)
            await #expect(throws: DomainError.self) { _ = try await store.confirmTags(incidentId: first.id, tags: ["other"], by: hospital) }
        }
    }
}
