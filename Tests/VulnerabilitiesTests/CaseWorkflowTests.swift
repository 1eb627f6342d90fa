// The case workflow on both engines: allowed moves only, reasons required and recorded in the
// timeline and the audit log, a reproducer before validation, reviewer assignment, visibility.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct CaseWorkflowTests {
    @Test func everyStateReachesPublishedOrIsFinal() {
        // From every state some path of allowed moves ends in published: no dead ends but the last.
        for start in CaseState.allCases {
            var seen: Set<CaseState> = [start], frontier = [start]
            while let state = frontier.popLast() {
                for next in state.next where seen.insert(next).inserted { frontier.append(next) }
            }
            #expect(seen.contains(.published), "\(start) cannot reach published")
        }
        #expect(CaseState.published.next.isEmpty)
        #expect(!CaseState.new.allows(.validated) && !CaseState.new.allows(.published))
    }

    @Test(arguments: Engine.available)
    func reviewerMovesACaseWithReasonsAndAReproducer(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let lab = VulnerabilityStoreTests.reader("lab-a")
            let reviewer = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "rita")
            let other = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "otto")
            let outsider = VulnerabilityStoreTests.reader("lab-b", role: .reviewer)
            let bare = try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"No proof here","submitter_key":"a"}"#), by: lab)
            try await Self.users(test.db, ["rita": "reviewer", "otto": "reviewer"])
            let proven = try await store.submit(try VulnerabilityStoreTests.submission(
                #"{"title":"Heap overflow in decoder","submitter_key":"b","evidence":[{"name":"poc","content_base64":"AAEC","reproducer":true}]}"#), by: lab)

            // A member may not move a case; nobody may skip triage; a reason is required.
            await #expect(throws: DomainError.self) { try await store.transition(caseId: bare.caseId, to: "triage", reason: "look", by: lab) }
            await #expect(throws: DomainError.conflict("a new case cannot become validated; allowed: triage, invalid, duplicate")) {
                try await store.transition(caseId: bare.caseId, to: "validated", reason: "sure", by: reviewer)
            }
            await #expect(throws: DomainError.invalid(field: "$.reason", reason: "is required")) {
                try await store.transition(caseId: bare.caseId, to: "triage", reason: "  ", by: reviewer)
            }
            await #expect(throws: DomainError.invalid(field: "$.state", reason: "must be one of \(CaseState.names)")) {
                try await store.transition(caseId: bare.caseId, to: "closed", reason: "x", by: reviewer)
            }
            // Outside the case's label the case does not exist, even for a reviewer.
            await #expect(throws: DomainError.notFound("case")) {
                try await store.transition(caseId: bare.caseId, to: "triage", reason: "x", by: outsider)
            }

            // Without a reproducer there is no validation.
            _ = try await store.transition(caseId: bare.caseId, to: "triage", reason: "looking", by: reviewer)
            await #expect(throws: DomainError.invalid(field: "$.state", reason: "validation needs a reproducer among the case's evidence")) {
                try await store.transition(caseId: bare.caseId, to: "validated", reason: "trust me", by: reviewer)
            }
            _ = try await store.transition(caseId: bare.caseId, to: "invalid", reason: "not reproducible", by: reviewer)

            // Assignment: only the assigned reviewer then moves the case.
            let assigned = try await store.assignReviewer(caseId: proven.caseId, reviewer: "rita", reason: "decoder expert", by: other)
            #expect(assigned.reviewer == "rita")
            await #expect(throws: DomainError.forbidden("this case is assigned to another reviewer")) {
                try await store.transition(caseId: proven.caseId, to: "triage", reason: "mine", by: other)
            }
            for (state, why) in [("triage", "read it"), ("validated", "poc crashes 1.2.3"), ("disclosed", "vendor told"),
                                 ("fixed", "1.2.4 released"), ("published", "advisory out")] {
                let moved = try await store.transition(caseId: proven.caseId, to: state, reason: why, by: reviewer)
                #expect(moved.state == state)
            }
            await #expect(throws: DomainError.self) { try await store.transition(caseId: proven.caseId, to: "triage", reason: "again", by: reviewer) }

            let timeline = try await store.timeline(caseId: proven.caseId, reader: lab)
            #expect(timeline.map(\.to) == ["new", "triage", "validated", "disclosed", "fixed", "published"])
            #expect(timeline[0].reason == "reviewer rita: decoder expert" && timeline[0].actor == "otto")
            #expect(timeline[2].reason == "poc crashes 1.2.3" && timeline[2].from == "triage" && timeline[2].actor == "rita")
            let audited = try await test.db.read { conn in
                try await conn.query("SELECT detail FROM audit_log WHERE action = 'vulns.case.transition' AND target = $1", [.text(proven.caseId)])
            }
            #expect(audited.count == 5)
            #expect(try audited.contains { try $0.string("detail").contains("poc crashes 1.2.3") })
        }
    }

    @Test(arguments: Engine.available)
    func assignmentNeedsAnActiveReviewer(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let reviewer = VulnerabilityStoreTests.reader("lab-a", role: .reviewer)
            let report = try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"Bug","submitter_key":"x"}"#), by: reviewer)
            await #expect(throws: DomainError.invalid(field: "$.reviewer", reason: "must name an active user with the reviewer or admin role")) {
                try await store.assignReviewer(caseId: report.caseId, reviewer: "nobody", reason: "x", by: reviewer)
            }
            let cleared = try await store.assignReviewer(caseId: report.caseId, reviewer: nil, reason: "unassign", by: reviewer)
            #expect(cleared.reviewer == nil)
        }
    }

    /// Directory rows for the named users (the store checks the assigned reviewer's role).
    static func users(_ db: any Database, _ roles: [String: String]) async throws {
        try await db.write { conn in
            try await conn.execute("INSERT INTO organisations (id, name, kind, created_at) VALUES ('lab-a', 'Lab A', 'ai-developer', 0)")
            for (name, role) in roles {
                try await conn.execute("INSERT INTO users (id, name, org_id, role, created_at) VALUES ($1, $1, 'lab-a', $2, 0)",
                                       [.text(name), .text(role)])
            }
        }
    }
}
