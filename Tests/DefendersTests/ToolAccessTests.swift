// The defensive tool access programme on both engines: a rural hospital sees the offerings it is
// eligible for and, for each other one, why not; requests with a purpose and decisions; capacity
// with the automatic wait-list; grants that end at their end date or early, and the freed place
// offered to the wait-list; usage reports and their summary; who sees which request and grant;
// offerings linked to frontier model versions the provider can see; edits and retirement; and
// coverage by sector and jurisdiction showing the gap.
import Foundation
import Frontier
import Platform
import Testing
import TestSupport
@testable import Defenders

@Suite struct ToolAccessTests {
    static let migrations = Schema.platform + FrontierSchema.migrations + DefendersSchema.migrations
    static let day: TimeInterval = 86_400

    static func org(_ directory: Directory, _ name: String, _ kind: OrganisationKind, role: Role = .member) async throws -> Reader {
        let o = try await directory.createOrganisation(name: name, kind: kind, actor: "test")
        return Reader(userId: "u-\(name)", userName: "user-\(name)", orgId: o.id, orgKind: kind, role: role)
    }

    @Test(arguments: Engine.available)
    func ruralHospitalSeesEligibilityAndReasons(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = ToolAccessStore(db: test.db, clock: clock.clock)
            let directory = Directory(db: test.db)
            let lab = try await Self.org(directory, "Lab", .aiDeveloper)
            let hospital = try await Self.org(directory, "Rural Hospital", .defender)
            let bank = try await Self.org(directory, "Community Bank", .defender)
            let coordinator = try await Self.org(directory, "CISA", .government, role: .reviewer)

            let before = try await store.offerings(for: hospital)
            #expect(before.isEmpty)
            let triage = try await store.createOffering(ToolOffering(name: "Log triage", capabilities: ["log triage"], modelReference: "Lab model 4.1",
                                                                     sectors: ["healthcare", "water"], maxEmployees: 500, capacity: 1), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "Fraud screening", capabilities: ["phishing analysis"], sectors: ["finance"], capacity: 10), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "Enterprise code review", capabilities: ["code review"], maxEmployees: 50, capacity: 10), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "California scanning", capabilities: ["vulnerability scanning"], jurisdictions: ["CA"], capacity: 10), by: lab)
            _ = try await store.createOffering(ToolOffering(name: "Health system SOC", capabilities: ["log triage"], orgKinds: ["government"],
                                                            minEmployees: 1000, capacity: 10), by: lab)
            await #expect(throws: DomainError.forbidden("only providers (AI developers, trusted partners, vendors) list offerings")) {
                _ = try await store.createOffering(ToolOffering(name: "x", capabilities: ["y"], capacity: 1), by: hospital)
            }
            await #expect(throws: DomainError.invalid(field: "capabilities", reason: "name at least one, e.g. vulnerability scanning, code review, log triage, phishing analysis")) {
                _ = try await store.createOffering(ToolOffering(name: "x", capabilities: [" "], capacity: 1), by: lab)
            }

            let unprofiled = try await store.offerings(for: hospital)
            #expect(unprofiled.allSatisfy { $0.reasons == ["your organisation has no defender profile yet (sector, size, jurisdiction)"] })
            await #expect(throws: DomainError.invalid(field: "sector", reason: "must be one of \(DefenderProfile.sectors.joined(separator: ", "))")) {
                try await store.setProfile(sector: "hospitals", employees: 80, jurisdiction: "MT", by: hospital)
            }
            try await store.setProfile(sector: "healthcare", employees: 80, jurisdiction: "MT/Glacier County", by: hospital)
            try await store.setProfile(sector: "finance", employees: 30, jurisdiction: "MT", by: bank)

            let views = Dictionary(uniqueKeysWithValues: try await store.offerings(for: hospital).map { ($0.offering.name, $0) })
            #expect(views["Log triage"]?.eligible == true)
            #expect(views["Log triage"]?.offering.modelReference == "Lab model 4.1")
            #expect(views["Fraud screening"]?.reasons == ["open to the finance sector(s); yours is healthcare"])
            #expect(views["Enterprise code review"]?.reasons == ["open to organisations of at most 50 employees; yours has 80"])
            #expect(views["California scanning"]?.reasons == ["available in CA; you are in MT/Glacier County"])
            #expect(views["Health system SOC"]?.reasons == ["open to government organisations; yours is defender",
                                                            "open to organisations of at least 1000 employees; yours has 80"])

            await #expect(throws: DomainError.self) { _ = try await store.request(offeringId: views["Fraud screening"]!.offering.id, purpose: "triage", by: hospital) }
            await #expect(throws: DomainError.invalid(field: "purpose", reason: "is required: say what your organisation will use the tool for")) {
                _ = try await store.request(offeringId: triage.id, purpose: "  ", by: hospital)
            }
            let request = try await store.request(offeringId: triage.id, purpose: "Triage EHR access logs nightly", by: hospital)
            #expect(request.state == .requested && request.purpose == "Triage EHR access logs nightly")
            await #expect(throws: DomainError.conflict("your organisation already has an open request for this offering")) {
                _ = try await store.request(offeringId: triage.id, purpose: "again", by: hospital)
            }
            // The bank is neither the provider nor a coordinator: the request does not exist for it.
            await #expect(throws: DomainError.notFound("request \(request.id)")) {
                _ = try await store.decide(requestId: request.id, .approved, reason: "", startsAt: clock.now, endsAt: clock.now + 90 * Self.day, by: bank)
            }
            await #expect(throws: DomainError.invalid(field: "reason", reason: "is required when wait-listing or declining")) {
                _ = try await store.decide(requestId: request.id, .declined, reason: " ", by: coordinator)
            }
            await #expect(throws: DomainError.invalid(field: "starts_at", reason: "is required to approve (the grant's start)")) {
                _ = try await store.decide(requestId: request.id, .approved, reason: "", by: lab)
            }
            let outcome = try await store.decide(requestId: request.id, .approved, reason: "", startsAt: clock.now, endsAt: clock.now + 90 * Self.day, by: lab)
            #expect(outcome.request.state == .approved && outcome.grant?.status(at: clock.now) == .active)
            let after = try await store.offerings(for: hospital).first { $0.offering.id == triage.id }
            #expect(after?.ownRequest == .approved && after?.approved == 1)
            #expect(try await store.grants(forOrganization: hospital.orgId, reader: hospital).map(\.offeringName) == ["Log triage"])

            let coverage = try await store.coverage()
            #expect(coverage == [
                CoverageRow(sector: "finance", jurisdiction: "MT", defenders: 1, covered: 1, requests: 0, approved: 0),
                CoverageRow(sector: "healthcare", jurisdiction: "MT/Glacier County", defenders: 1, covered: 1, requests: 1, approved: 1),
            ])
            // Another hospital over the size limit is a visible gap.
            let big = try await Self.org(directory, "City Hospital", .defender)
            try await store.setProfile(sector: "healthcare", employees: 4000, jurisdiction: "MT/Glacier County", by: big)
            let row = try await store.coverage().first { $0.sector == "healthcare" }
            #expect(row?.covered == 1 && row?.defenders == 2)
        }
    }

    @Test(arguments: Engine.available)
    func capacityWaitListEndDatesAndTheFreedPlace(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = ToolAccessStore(db: test.db, clock: clock.clock)
            let directory = Directory(db: test.db)
            let lab = try await Self.org(directory, "Lab", .aiDeveloper)
            let coordinator = try await Self.org(directory, "CISA", .government, role: .reviewer)
            let utilities = [try await Self.org(directory, "Utility A", .defender), try await Self.org(directory, "Utility B", .defender),
                             try await Self.org(directory, "Utility C", .defender)]
            let offering = try await store.createOffering(ToolOffering(name: "Scanning", capabilities: ["vulnerability scanning"], capacity: 1), by: lab)
            var requests: [AccessRequest] = []
            for u in utilities {
                try await store.setProfile(sector: "water", employees: 20, jurisdiction: "OH", by: u)
                requests.append(try await store.request(offeringId: offering.id, purpose: "scan the SCADA network", by: u))
                clock.advance(by: 60)
            }
            let start = clock.now, end = clock.now + 30 * Self.day
            let first = try await store.decide(requestId: requests[0].id, .approved, reason: "", startsAt: start, endsAt: end, by: lab)
            #expect(first.grant != nil)
            // Full: approving puts the request on the wait-list and says why.
            let second = try await store.decide(requestId: requests[1].id, .approved, reason: "", startsAt: start, endsAt: end, by: coordinator)
            #expect(second.request.state == .waitlisted && second.grant == nil)
            #expect(second.note == "the offering is at capacity (1 of 1 places taken); the request was wait-listed")
            let third = try await store.decide(requestId: requests[2].id, .waitlisted, reason: "next quarter", by: lab)
            #expect(third.request.state == .waitlisted && third.request.reason == "next quarter")
            #expect(try await store.offeringView(id: offering.id, for: lab).waiting == 2)
            await #expect(throws: DomainError.conflict("no place is free: 1 of 1 places are taken")) {
                _ = try await store.offerNextPlace(offeringId: offering.id, startsAt: start, endsAt: end, by: lab)
            }

            // The grant reaches its end date: the place is free, the status says so, and the
            // earliest wait-listed request (Utility B) is offered it.
            clock.advance(by: 31 * Self.day)
            let expired = try await store.grant(id: try #require(first.grant?.id), reader: utilities[0])
            #expect(expired.status(at: clock.now) == .expired)
            await #expect(throws: DomainError.conflict("the grant already reached its end date")) { _ = try await store.endGrant(id: expired.id, reason: "", by: utilities[0]) }
            let promoted = try await store.offerNextPlace(offeringId: offering.id, startsAt: clock.now, endsAt: clock.now + 60 * Self.day, by: lab)
            #expect(promoted.request.id == requests[1].id && promoted.request.state == .approved)
            #expect(promoted.request.reason == "offered a freed place from the wait-list")

            // Ended early by the defender: the place is free again and C can be offered it.
            let ended = try await store.endGrant(id: try #require(promoted.grant?.id), reason: "moved to an in-house tool", by: utilities[1])
            #expect(ended.status(at: clock.now) == .ended && ended.endedBy == "user-Utility B")
            await #expect(throws: DomainError.conflict("the grant was already ended")) { _ = try await store.endGrant(id: ended.id, reason: "", by: lab) }
            let last = try await store.offerNextPlace(offeringId: offering.id, startsAt: clock.now + Self.day, endsAt: clock.now + 10 * Self.day, by: coordinator)
            #expect(last.request.id == requests[2].id && last.grant?.status(at: clock.now) == .scheduled)
            await #expect(throws: DomainError.conflict("nobody is on the wait-list of this offering")) {
                _ = try await store.offerNextPlace(offeringId: offering.id, startsAt: clock.now, endsAt: clock.now + Self.day, by: lab)
            }
            // After an ended grant the organisation may ask again.
            let again = try await store.request(offeringId: offering.id, purpose: "second season", by: utilities[1])
            #expect(again.state == .requested)

            let audit = try await test.db.read { conn in
                try await conn.query("SELECT action FROM audit_log WHERE target = $1 ORDER BY seq", [.text("offering:\(offering.id)")]).map { try $0.string("action") }
            }
            #expect(audit.filter { $0 == "tools.decide" }.count == 5)
            #expect(audit.filter { $0 == "tools.grant.end" }.count == 1)
        }
    }

    @Test(arguments: Engine.available)
    func usageReportsAndWhoSeesWhat(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = ToolAccessStore(db: test.db, clock: clock.clock)
            let directory = Directory(db: test.db)
            let lab = try await Self.org(directory, "Lab", .aiDeveloper)
            let otherLab = try await Self.org(directory, "Other Lab", .aiDeveloper)
            let coordinator = try await Self.org(directory, "CISA", .government, role: .reviewer)
            let clinic = try await Self.org(directory, "Clinic", .defender)
            let outsider = try await Self.org(directory, "Outsider", .defender)
            let offering = try await store.createOffering(ToolOffering(name: "Phish check", capabilities: ["phishing analysis"], capacity: 3), by: lab)
            try await store.setProfile(sector: "healthcare", employees: 12, jurisdiction: "VT", by: clinic)
            let request = try await store.request(offeringId: offering.id, purpose: "check reported e-mails", by: clinic)
            let grant = try #require(try await store.decide(requestId: request.id, .approved, reason: "", startsAt: clock.now,
                                                            endsAt: clock.now + 90 * Self.day, by: lab).grant)

            for reader in [outsider, otherLab] {
                await #expect(throws: DomainError.notFound("request \(request.id)")) { _ = try await store.request(id: request.id, reader: reader) }
                await #expect(throws: DomainError.notFound("grant \(grant.id)")) { _ = try await store.grant(id: grant.id, reader: reader) }
                #expect(try await store.requests(reader: reader).total == 0)
                #expect(try await store.grants(forOrganization: clinic.orgId, reader: reader).isEmpty)
            }
            for reader in [clinic, lab, coordinator] {
                #expect(try await store.requests(reader: reader).items.map(\.id) == [request.id])
                #expect(try await store.grants(forOrganization: clinic.orgId, reader: reader).map(\.id) == [grant.id])
            }

            clock.advance(by: 31 * Self.day)
            let start = clock.now - 30 * Self.day
            let report = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: start, periodEnd: clock.now, measure: "findings", quantity: 14,
                                                                                   outcome: "3 credential-phishing campaigns blocked"), by: clinic)
            _ = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: start, periodEnd: clock.now, measure: "findings", quantity: 6), by: lab)
            _ = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: start, periodEnd: clock.now, measure: "hours", quantity: 2.5), by: clinic)
            await #expect(throws: DomainError.forbidden("only the organisation holding the grant or the provider reports usage")) {
                _ = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: start, periodEnd: clock.now, measure: "hours", quantity: 1), by: coordinator)
            }
            await #expect(throws: DomainError.invalid(field: "measure", reason: "must be one of \(UsageReport.measures.joined(separator: ", "))")) {
                _ = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: start, periodEnd: clock.now, measure: "vibes", quantity: 1), by: clinic)
            }
            await #expect(throws: DomainError.invalid(field: "period_end", reason: "must be after period_start")) {
                _ = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: clock.now, periodEnd: start, measure: "hours", quantity: 1), by: clinic)
            }
            await #expect(throws: DomainError.invalid(field: "period_start", reason: "must not be in the future")) {
                _ = try await store.recordUsage(grantId: grant.id, UsageInput(periodStart: clock.now + Self.day, periodEnd: clock.now + 2 * Self.day,
                                                                              measure: "hours", quantity: 1), by: clinic)
            }
            let reports = try await store.usage(grantId: grant.id, reader: coordinator)
            #expect(reports.count == 3 && reports.first { $0.id == report.id }?.outcome == "3 credential-phishing campaigns blocked")
            let summary = try await store.usageSummary(offeringId: offering.id)
            #expect(summary == UsageSummary(lines: [.init(measure: "findings", total: 20, reports: 2), .init(measure: "hours", total: 2.5, reports: 1)],
                                            grantsReporting: 1))
        }
    }

    @Test(arguments: Engine.available)
    func modelVersionLinkEditAndRetire(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = ToolAccessStore(db: test.db, clock: clock.clock)
            let frontier = try FrontierStore(db: test.db, secrets: .ephemeral())
            let directory = Directory(db: test.db)
            let lab = try await Self.org(directory, "Lab", .aiDeveloper)
            let vendor = try await Self.org(directory, "Vendor", .maintainer)
            let hospital = try await Self.org(directory, "Hospital", .defender)
            let model = try await frontier.createModel(lab, name: "Sentinel", at: clock.now)
            let version = try await frontier.createVersion(lab, modelId: model.id, input: VersionInput(version: "4.1"), at: clock.now)

            let linked = try await store.createOffering(ToolOffering(name: "Code review", capabilities: ["Code Review"], modelVersionId: version.id, capacity: 2), by: lab)
            #expect(linked.modelReference == "Sentinel 4.1" && linked.capabilities == ["code review"])
            // The version is AMBER to the lab: the vendor cannot see it, nor can it name a missing one.
            for id in [version.id, UUID().uuidString.lowercased()] {
                await #expect(throws: DomainError.invalid(field: "model_version_id", reason: "no frontier model version with this id is visible to your organisation")) {
                    _ = try await store.createOffering(ToolOffering(name: "Borrowed", capabilities: ["code review"], modelVersionId: id, capacity: 1), by: vendor)
                }
            }
            // A vendor (maintainer) is a provider too.
            _ = try await store.createOffering(ToolOffering(name: "Vendor triage", capabilities: ["log triage"], capacity: 1), by: vendor)

            await #expect(throws: DomainError.forbidden("only the provider's organisation changes its offering")) {
                _ = try await store.updateOffering(id: linked.id, ToolOffering(name: "Taken", capabilities: ["x"], capacity: 9), by: vendor)
            }
            await #expect(throws: DomainError.invalid(field: "max_employees", reason: "must be at least min_employees (and zero or more)")) {
                _ = try await store.updateOffering(id: linked.id, ToolOffering(name: "Code review", capabilities: ["code review"], minEmployees: 100, maxEmployees: 10, capacity: 2), by: lab)
            }
            let edited = try await store.updateOffering(id: linked.id, ToolOffering(name: "Secure code review", capabilities: ["code review", "configuration review"],
                                                                                    sectors: ["healthcare"], capacity: 5, terms: "No production data"), by: lab)
            #expect(edited.modelVersionId == nil && edited.capacity == 5)
            #expect(try await store.offering(id: linked.id).name == "Secure code review")

            try await store.setProfile(sector: "healthcare", employees: 40, jurisdiction: "NH", by: hospital)
            let open = try await store.request(offeringId: linked.id, purpose: "review our patient portal", by: hospital)
            await #expect(throws: DomainError.invalid(field: "reason", reason: "is required to retire an offering")) {
                _ = try await store.retireOffering(id: linked.id, reason: "", by: lab)
            }
            let retired = try await store.retireOffering(id: linked.id, reason: "the model is being replaced", by: lab)
            #expect(retired.retired)
            let declined = try await store.request(id: open.id, reader: hospital)
            #expect(declined.state == .declined && declined.reason == "the offering was retired: the model is being replaced")
            #expect(try await store.offerings(for: hospital).map(\.offering.name) == ["Vendor triage"])
            let view = try await store.offeringView(id: linked.id, for: hospital)
            #expect(view.reasons == ["the offering was retired"])
        }
    }
}
