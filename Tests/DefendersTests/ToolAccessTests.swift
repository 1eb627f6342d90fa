// The defensive tool access programme on both engines: a rural hospital sees the offerings it is
// eligible for and, for each other one, why not; requests and decisions with capacity; coverage
// by sector and jurisdiction showing the gap.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Defenders

@Suite struct ToolAccessTests {
    static let migrations = Schema.platform + DefendersSchema.migrations

    static func org(_ directory: Directory, _ name: String, _ kind: OrganisationKind, role: Role = .member) async throws -> Reader {
        let o = try await directory.createOrganisation(name: name, kind: kind, actor: "test")
        return Reader(userId: "u-\(name)", userName: "user-\(name)", orgId: o.id, orgKind: kind, role: role)
    }

    @Test(arguments: Engine.available)
    func ruralHospitalSeesEligibilityAndReasons(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = ToolAccessStore(db: test.db, clock: ManualClock().clock)
            let directory = Directory(db: test.db)
            let lab = try await Self.org(directory, "Lab", .aiDeveloper)
            let hospital = try await Self.org(directory, "Rural Hospital", .defender)
            let bank = try await Self.org(directory, "Community Bank", .defender)
            let coordinator = try await Self.org(directory, "CISA", .government, role: .reviewer)

            let before = try await store.offerings(for: hospital)
            #expect(before.isEmpty)
            let triage = try await store.createOffering(ToolOffering(name: "Log triage", capability: "log triage", modelReference: "Lab model 4.1",
                                                                     sectors: ["healthcare", "water"], maxEmployees: 500, capacity: 1), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "Fraud screening", capability: "phishing analysis", sectors: ["finance"], capacity: 10), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "Enterprise code review", capability: "code review", maxEmployees: 50, capacity: 10), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "California scanning", capability: "vulnerability scanning", jurisdictions: ["CA"], capacity: 10), by: lab)
            await #expect(throws: DomainError.self) { _ = try await store.createOffering(ToolOffering(name: "x", capability: "y", capacity: 1), by: hospital) }

            let unprofiled = try await store.offerings(for: hospital)
            #expect(unprofiled.allSatisfy { $0.reasons == ["your organisation has no defender profile yet (sector, size, jurisdiction)"] })
            await #expect(throws: DomainError.invalid(field: "sector", reason: "must be one of \(DefenderProfile.sectors.joined(separator: ", "))")) {
                try await store.setProfile(sector: "hospitals", employees: 80, jurisdiction: "MT", by: hospital)
            }
            try await store.setProfile(sector: "healthcare", employees: 80, jurisdiction: "MT", by: hospital)
            try await store.setProfile(sector: "finance", employees: 30, jurisdiction: "MT", by: bank)

            let views = Dictionary(uniqueKeysWithValues: try await store.offerings(for: hospital).map { ($0.offering.name, $0) })
            #expect(views["Log triage"]?.eligible == true)
            #expect(views["Log triage"]?.offering.modelReference == "Lab model 4.1")
            #expect(views["Fraud screening"]?.reasons == ["open to the finance sector(s); yours is healthcare"])
            #expect(views["Enterprise code review"]?.reasons == ["open to organisations of at most 50 employees; yours has 80"])
            #expect(views["California scanning"]?.reasons == ["available in CA; you are in MT"])

            await #expect(throws: DomainError.self) { _ = try await store.request(offeringId: views["Fraud screening"]!.offering.id, by: hospital) }
            let request = try await store.request(offeringId: triage.id, by: hospital)
            await #expect(throws: DomainError.self) { _ = try await store.request(offeringId: triage.id, by: hospital) }
            await #expect(throws: DomainError.self) { try await store.decide(requestId: request, .approved, reason: "", by: bank) }
            await #expect(throws: DomainError.invalid(field: "reason", reason: "is required when wait-listing or declining")) {
                try await store.decide(requestId: request, .declined, reason: " ", by: coordinator)
            }
            try await store.decide(requestId: request, .approved, reason: "", by: lab)
            let after = try await store.offerings(for: hospital).first { $0.offering.id == triage.id }
            #expect(after?.ownRequest == .approved && after?.approved == 1)

            let coverage = try await store.coverage()
            #expect(coverage == [
                CoverageRow(sector: "finance", jurisdiction: "MT", defenders: 1, covered: 1, requests: 0, approved: 0),
                CoverageRow(sector: "healthcare", jurisdiction: "MT", defenders: 1, covered: 1, requests: 1, approved: 1),
            ])
            // Another hospital over the size limit is a visible gap.
            let big = try await Self.org(directory, "City Hospital", .defender)
            try await store.setProfile(sector: "healthcare", employees: 4000, jurisdiction: "MT", by: big)
            #expect(try await store.coverage().first { $0.sector == "healthcare" }?.covered == 1)
            #expect(try await store.coverage().first { $0.sector == "healthcare" }?.defenders == 2)
        }
    }

    @Test(arguments: Engine.available)
    func approvalBeyondCapacityIsRefused(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = ToolAccessStore(db: test.db, clock: ManualClock().clock)
            let directory = Directory(db: test.db)
            let lab = try await Self.org(directory, "Lab", .aiDeveloper)
            let a = try await Self.org(directory, "Utility A", .defender)
            let b = try await Self.org(directory, "Utility B", .defender)
            let offering = try await store.createOffering(ToolOffering(name: "Scanning", capability: "vulnerability scanning", capacity: 1), by: lab)
            for r in [a, b] { try await store.setProfile(sector: "water", employees: 20, jurisdiction: "OH", by: r) }
            let ra = try await store.request(offeringId: offering.id, by: a)
            let rb = try await store.request(offeringId: offering.id, by: b)
            try await store.decide(requestId: ra, .approved, reason: "", by: lab)
            await #expect(throws: DomainError.self) { try await store.decide(requestId: rb, .approved, reason: "", by: lab) }
            try await store.decide(requestId: rb, .waitlisted, reason: "capacity reached; next quarter", by: lab)
            #expect(try await store.offerings(for: b).first?.ownRequest == .waitlisted)
        }
    }
}
