// Coordination on both engines: vendors notified under embargo see the case and state their status;
// everyone else sees neither the case nor its existence until the deadline or the coordinator's lift.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct CaseCoordinationTests {
    @Test(arguments: Engine.available)
    func embargoHidesTheCaseFromOutsidersUntilItLifts(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let manual = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: manual.clock, secrets: .ephemeral())
            try await CaseWorkflowTests.users(test.db, [:])
            try await test.db.write { conn in
                try await conn.execute("INSERT INTO organisations (id, name, kind, created_at) VALUES ('vendor-v', 'Vendor V', 'maintainer', 0)")
            }
            let lab = VulnerabilityStoreTests.reader("lab-a")
            let coordinator = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "coord")
            let vendor = VulnerabilityStoreTests.reader("vendor-v")
            let outsider = VulnerabilityStoreTests.reader("lab-b")
            let report = try await store.submit(try VulnerabilityStoreTests.submission(
                #"{"title":"Secret zero-day in zlib","aliases":["CVE-2032-0001"],"submitter_key":"z"}"#), by: lab)
            let id = report.caseId

            func outsiderSeesNothing() async throws {
                #expect(try await store.cases(reader: outsider).total == 0)
                #expect(try await store.cases(reader: outsider, search: "zlib").total == 0)
                #expect(try await store.queue(reader: outsider).items.isEmpty)
                await #expect(throws: DomainError.notFound("case")) { try await store.caseSummary(id: id, reader: outsider) }
                await #expect(throws: DomainError.notFound("case")) { try await store.vendors(caseId: id, reader: outsider) }
                await #expect(throws: DomainError.notFound("case")) { try await store.messages(caseId: id, reader: outsider) }
                await #expect(throws: DomainError.notFound("case")) { try await store.postMessage(caseId: id, body: "hi", by: outsider) }
                await #expect(throws: DomainError.notFound("case")) { try await store.embargo(caseId: id, reader: outsider) }
            }

            // Before notification the vendor sees nothing either.
            await #expect(throws: DomainError.notFound("case")) { try await store.caseSummary(id: id, reader: vendor) }
            await #expect(throws: DomainError.self) { try await store.notifyVendor(caseId: id, orgId: "vendor-v", reason: "x", by: lab) }
            let embargo = try await store.notifyVendor(caseId: id, orgId: "Vendor V", reason: "maintains zlib", by: coordinator)
            #expect(embargo.until == manual.now.addingTimeInterval(90 * 86_400) && !embargo.isLifted)
            await #expect(throws: DomainError.conflict("this vendor was already notified")) {
                try await store.notifyVendor(caseId: id, orgId: "vendor-v", reason: "again", by: coordinator)
            }
            #expect(try await store.caseSummary(id: id, reader: vendor).id == id)
            let stated = try await store.setVendorStatus(caseId: id, orgId: "vendor-v", status: "affected", statement: "1.3.0 to 1.3.1", by: vendor)
            #expect(stated.status == .affected && stated.statement == "1.3.0 to 1.3.1")
            await #expect(throws: DomainError.forbidden("only the vendor or a coordinator states the vendor's status")) {
                try await store.setVendorStatus(caseId: id, orgId: "vendor-v", status: "not_affected", statement: "", by: lab)
            }
            await #expect(throws: DomainError.self) { try await store.setVendorStatus(caseId: id, orgId: "vendor-v", status: "maybe", statement: "", by: vendor) }
            _ = try await store.postMessage(caseId: id, body: "Patch ready next week", by: vendor)
            _ = try await store.postMessage(caseId: id, body: "Thanks", by: coordinator)
            #expect(try await store.messages(caseId: id, reader: lab).map(\.body) == ["Patch ready next week", "Thanks"])
            try await outsiderSeesNothing()

            // A shorter embargo per case, then the deadline passes: the case is public, derived from the clock.
            let shorter = try await store.setEmbargo(caseId: id, days: 30, lift: false, reason: "fix is simple", by: coordinator)
            #expect(shorter.until == manual.now.addingTimeInterval(30 * 86_400))
            manual.advance(by: 29 * 86_400)
            try await outsiderSeesNothing()
            #expect(try await store.liftExpired(actor: "cli") == 0)
            manual.advance(by: 86_400)
            #expect(try await store.embargo(caseId: id, reader: lab).isLifted)
            #expect(try await store.cases(reader: outsider).total == 1)
            #expect(try await store.liftExpired(actor: "cli") == 1)
            #expect(try await store.timeline(caseId: id, reader: outsider).last?.reason == "embargo deadline passed")
        }
    }

    @Test(arguments: Engine.available)
    func theCoordinatorLiftsAnEmbargoEarly(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: VulnerabilityStoreTests.migrations) { test in
            let store = VulnerabilityStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            try await CaseWorkflowTests.users(test.db, [:])
            let coordinator = VulnerabilityStoreTests.reader("lab-a", role: .reviewer)
            let outsider = VulnerabilityStoreTests.reader("lab-b")
            let report = try await store.submit(try VulnerabilityStoreTests.submission(#"{"title":"Bug","submitter_key":"b"}"#), by: coordinator)
            _ = try await store.notifyVendor(caseId: report.caseId, orgId: "lab-a", reason: "own code", by: coordinator)
            #expect(try await store.cases(reader: outsider).total == 0)
            let lifted = try await store.setEmbargo(caseId: report.caseId, days: nil, lift: true, reason: "exploited in the wild", by: coordinator)
            #expect(lifted.isLifted && lifted.liftedAt != nil)
            #expect(try await store.cases(reader: outsider).total == 1)
        }
    }
}
