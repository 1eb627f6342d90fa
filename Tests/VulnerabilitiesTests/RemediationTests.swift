// Defender remediation items on both engines: BOD 26-04 due dates for every row of CISA's table
// (read from the data file), BOD 22-01 dates from the real KEV catalog, overdue against the clock
// in lists and counts, status changes with reasons in the audit log, the organisation's directive,
// SSVC taken from a case, and isolation between two defender organisations.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Vulnerabilities

@Suite struct RemediationTests {
    static let migrations = Schema.platform + VulnerabilitySchema.migrations + RemediationSchema.migrations
    static let day: TimeInterval = 86_400

    static func defender(_ org: String, role: Role = .member, scope: String? = nil) -> Reader {
        Reader(userId: "u-\(org)-\(role.rawValue)", userName: "\(org)-\(role.rawValue)", orgId: org, orgKind: .defender, role: role, scope: scope)
    }

    static func orgs(_ db: any Database) async throws {
        try await db.write { conn in
            for (id, kind) in [("water", "defender"), ("hospital", "defender"), ("agency", "government"), ("lab-a", "ai-developer")] {
                try await conn.execute("INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $1, $2, 0)", [.text(id), .text(kind)])
            }
        }
    }

    static func kevCatalog() throws -> Data {
        let url = try #require(TestData.url("vulns/kev/known_exploited_vulnerabilities.json"))
        return try Data(contentsOf: url)
    }

    @Test("BOD 26-04: every row of CISA's table gives the stored item its timeline, date and rule",
          .enabled(if: TestData.root != nil, "needs ../shared/data"), arguments: Engine.available)
    func bodRowsStored(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            _ = try await store.importKEV(try Self.kevCatalog(), actor: "test")
            let kevCVE = "CVE-2024-3400"  // listed in the catalog
            let rows = try TestData.csv("vulns/ssvc/csv/cisa/cisa_bod_26_04_1_0_0.csv").dropFirst()
            #expect(rows.count == 16)
            let start = clock.now.addingTimeInterval(-5 * Self.day)
            var mismatches: [String] = []
            for (n, row) in rows.enumerated() {
                let inKEV = row[1] == "yes"
                let item = try await store.addRemediationItem(RemediationInput(
                    cve: inKEV ? kevCVE : "CVE-2099-\(String(format: "%04d", n + 1))", asset: "host-\(n)", publiclyExposed: row[2] == "yes",
                    automatable: row[3] == "yes" ? .yes : .no, technicalImpact: row[4] == "total" ? .total : .partial,
                    directive: .bod2604, startedAt: start), by: Self.defender("water"))
                let outcome = row[5]
                let days = outcome.split(separator: " ").first.flatMap { Int($0) }
                let ok = item.inKEV == inKEV && item.directive == .bod2604
                    && item.dueAt == days.map { start.addingTimeInterval(TimeInterval($0) * Self.day) }
                    && item.dueRule.lowercased().contains("→ " + outcome)
                    && item.dueRule.contains("In KEV = \(inKEV ? "Yes" : "No")")
                    && item.overdue == (days.map { $0 < 5 } ?? false)
                if !ok { mismatches.append("\(row.joined(separator: ",")) → \(item.timeline) \(String(describing: item.dueAt)) \(item.dueRule)") }
            }
            #expect(mismatches.isEmpty, "rows dated differently: \(mismatches)")
            // The 3-day rows started 5 days ago are the overdue ones; the list agrees with the items.
            let overdue = try await store.remediationItems(reader: Self.defender("water"), filter: RemediationFilter(overdue: true))
            #expect(overdue.total == rows.filter { $0[5].hasPrefix("3 days") }.count)
        }
    }

    @Test("BOD 22-01: KEV catalog due dates, bulk add by product, repeated bulk adds nothing",
          .enabled(if: TestData.root != nil, "needs ../shared/data"), arguments: Engine.available)
    func kevDueDates(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let catalog = try Self.kevCatalog()
            _ = try await store.importKEV(catalog, actor: "test")
            let root = try #require(try JSONSerialization.jsonObject(with: catalog) as? [String: Any])
            let entries = try #require(root["vulnerabilities"] as? [[String: Any]])
            let exchange = entries.filter { $0["vendorProject"] as? String == "Microsoft" && $0["product"] as? String == "Exchange Server" }
            let expected = Dictionary(uniqueKeysWithValues: exchange.map { ($0["cveID"] as! String, $0["dueDate"] as! String) })
            #expect(expected.count >= 10)

            let agency = Self.defender("agency")
            let template = RemediationInput(asset: "mail-01", publiclyExposed: true, automatable: .yes, technicalImpact: .total, directive: .bod2201)
            let first = try await store.addRemediationItemsFromKEV(vendor: "microsoft", product: "exchange server", template: template, by: agency)
            #expect(first.created.count == expected.count && first.skipped.isEmpty)
            let page = try await store.remediationItems(reader: agency, limit: 500)
            #expect(page.total == expected.count)
            for item in page.items {
                let cve = try #require(item.cve)
                let due = try #require(expected[cve])
                #expect(item.timeline == "KEV" && item.kevDueDate == due)
                let day = try Date(due + "T23:59:59Z", strategy: .iso8601)
                #expect(item.dueAt == day, "\(cve) due \(String(describing: item.dueAt)) not \(due)")
                #expect(item.dueRule.contains(due))
                #expect(item.overdue)  // every Exchange date in the catalog is years before the test clock
            }
            // Sorted by due date: the catalog's earliest first.
            #expect(page.items.first?.kevDueDate == expected.values.min())
            let again = try await store.addRemediationItemsFromKEV(vendor: "Microsoft", product: "Exchange Server", template: template, by: agency)
            #expect(again.created.isEmpty && again.skipped.count == expected.count)
            await #expect(throws: DomainError.self) {
                try await store.addRemediationItemsFromKEV(vendor: nil, product: "No Such Product", template: template, by: agency)
            }
            // Outside the catalog BOD 22-01 sets no date, and says why.
            let unlisted = try await store.addRemediationItem(RemediationInput(cve: "CVE-2099-0001", asset: "mail-01", publiclyExposed: true,
                                                                               automatable: .yes, technicalImpact: .total, directive: .bod2201), by: agency)
            #expect(unlisted.dueAt == nil && unlisted.timeline == "none" && !unlisted.overdue && unlisted.dueRule.contains("not listed"))
        }
    }

    @Test("a KEV import re-dates the open items whose listing or due date it changes; closed ones keep theirs until reopened",
          .enabled(if: TestData.root != nil, "needs ../shared/data"), arguments: Engine.available)
    func kevReimportRedates(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let real = try Self.kevCatalog()
            var root = try #require(try JSONSerialization.jsonObject(with: real) as? [String: Any])
            var entries = try #require(root["vulnerabilities"] as? [[String: Any]])
            let changed = "CVE-2024-3400"
            let realDue = try #require(entries.first { $0["cveID"] as? String == changed }?["dueDate"] as? String)
            let added = try #require(entries.first { $0["cveID"] as? String != changed }?["cveID"] as? String)
            // An older catalog: `added` not yet listed, `changed` with another due date.
            entries.removeAll { $0["cveID"] as? String == added }
            for index in entries.indices where entries[index]["cveID"] as? String == changed { entries[index]["dueDate"] = "2030-01-31" }
            root["vulnerabilities"] = entries
            let older = try JSONSerialization.data(withJSONObject: root)
            _ = try await store.importKEV(older, actor: "test")

            let water = Self.defender("water")
            let start = clock.now.addingTimeInterval(-2 * Self.day)
            func add(_ cve: String, _ asset: String, _ directive: RemediationDirective) async throws -> RemediationItem {
                try await store.addRemediationItem(RemediationInput(cve: cve, asset: asset, publiclyExposed: true, automatable: .no,
                                                                    technicalImpact: .partial, directive: directive, startedAt: start), by: water)
            }
            let dated = try await add(changed, "fw-1", .bod2201)
            let listedLater = try await add(added, "fw-2", .bod2604)
            let closed = try await add(changed, "fw-3", .bod2201)
            let unlisted = try await add("CVE-2099-0001", "fw-4", .bod2604)
            _ = try await store.setRemediationStatus(id: closed.id, status: "remediated", reason: "patched", by: water)
            #expect(dated.kevDueDate == "2030-01-31" && !listedLater.inKEV && listedLater.dueRule.contains("In KEV = No"))

            let current = try await store.importKEV(real, actor: "test")
            #expect(current.remediationRedated == 2)
            let redated = try await store.remediationItem(id: dated.id, reader: water)
            #expect(redated.kevDueDate == realDue && redated.timeline == "KEV")
            #expect(redated.dueAt == RemediationRules.kevDueDate(realDue) && redated.dueRule.contains(realDue) && redated.overdue)
            let nowListed = try await store.remediationItem(id: listedLater.id, reader: water)
            #expect(nowListed.inKEV && nowListed.dueRule.contains("In KEV = Yes") && nowListed.startedAt == listedLater.startedAt)
            let stillClosed = try await store.remediationItem(id: closed.id, reader: water)
            #expect(stillClosed.kevDueDate == "2030-01-31" && stillClosed.dueAt == closed.dueAt && stillClosed.status == .remediated)
            #expect(try await store.remediationItem(id: unlisted.id, reader: water) == unlisted)
            let audited = try await test.db.read { conn in
                try await conn.query("SELECT detail FROM audit_log WHERE action = 'vulns.kev.import' ORDER BY seq").map { try $0.string("detail") }
            }
            #expect(audited.count == 2 && audited[1].contains("remediation_redated") && audited[1].contains("\"2\""))

            // Reopened, the closed item follows the catalog as it is now.
            let reopened = try await store.setRemediationStatus(id: closed.id, status: "open", reason: "the fix regressed", by: water)
            #expect(reopened.kevDueDate == realDue && reopened.dueAt == RemediationRules.kevDueDate(realDue))

            // The same catalog again changes nothing; the older one again undoes all three.
            #expect(try await store.importKEV(real, actor: "test").remediationRedated == 0)
            #expect(try await store.importKEV(older, actor: "test").remediationRedated == 3)
            #expect(try await store.remediationItem(id: listedLater.id, reader: water) == listedLater)
        }
    }

    @Test("overdue is computed against the clock; filters, due-date order, pages and statuses with reasons", arguments: Engine.available)
    func overdueFiltersAndStatus(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let water = Self.defender("water")
            let now = clock.now
            func add(_ cve: String, exposed: Bool, auto: SSVCAutomatable, impact: SSVCTechnicalImpact, startedDaysAgo: Double) async throws -> RemediationItem {
                try await store.addRemediationItem(RemediationInput(cve: cve, asset: "scada-hmi", publiclyExposed: exposed, automatable: auto,
                                                                    technicalImpact: impact, startedAt: now.addingTimeInterval(-startedDaysAgo * Self.day)), by: water)
            }
            // Not in KEV: exposed + automatable + total → 3 days; exposed + total → 14 days; automatable → 60 days; nothing → upgrade.
            let late = try await add("CVE-2030-0001", exposed: true, auto: .no, impact: .total, startedDaysAgo: 20)     // 14 days: 6 late
            let soon = try await add("CVE-2030-0002", exposed: true, auto: .yes, impact: .total, startedDaysAgo: 1)     // 3 days: 2 left
            let later = try await add("CVE-2030-0003", exposed: false, auto: .yes, impact: .partial, startedDaysAgo: 0) // 60 days
            let upgrade = try await add("CVE-2030-0004", exposed: false, auto: .no, impact: .partial, startedDaysAgo: 0) // next upgrade
            #expect(late.overdue && !soon.overdue && !later.overdue && !upgrade.overdue)
            #expect(upgrade.dueAt == nil && upgrade.timeline == "FSU")
            #expect(RemediationRules.dueInWords(status: late.status, dueAt: late.dueAt, timeline: late.timeline, now: now) == "Overdue by 6 days 0 hours")

            let all = try await store.remediationItems(reader: water)
            #expect(all.items.map(\.id) == [late.id, soon.id, later.id, upgrade.id])
            #expect(try await store.remediationItems(reader: water, filter: RemediationFilter(overdue: true)).items.map(\.id) == [late.id])
            #expect(try await store.remediationItems(reader: water, filter: RemediationFilter(overdue: false)).total == 3)
            let before = try await store.remediationItems(reader: water, filter: RemediationFilter(dueBefore: now.addingTimeInterval(10 * Self.day)))
            #expect(before.items.map(\.id) == [late.id, soon.id])
            let second = try await store.remediationItems(reader: water, limit: 2, offset: 2)
            #expect(second.items.map(\.id) == [later.id, upgrade.id] && second.total == 4)
            #expect(try await store.remediationSummary(orgId: nil, reader: water) == RemediationSummary(open: 4, overdue: 1, dueSoon: 1, total: 4))

            // A status change needs a reason, is audited, and discharges the deadline.
            await #expect(throws: DomainError.invalid(field: "$.reason", reason: "is required")) {
                try await store.setRemediationStatus(id: late.id, status: "mitigated", reason: " ", by: water)
            }
            await #expect(throws: DomainError.self) { try await store.setRemediationStatus(id: late.id, status: "fixed", reason: "x", by: water) }
            let mitigated = try await store.setRemediationStatus(id: late.id, status: "mitigated", reason: "WAF rule blocks the endpoint", by: water)
            #expect(mitigated.status == .mitigated && !mitigated.overdue && mitigated.statusReason == "WAF rule blocks the endpoint")
            #expect(try await store.remediationItems(reader: water, filter: RemediationFilter(overdue: true)).total == 0)
            #expect(try await store.remediationItems(reader: water, filter: RemediationFilter(status: .mitigated)).items.map(\.id) == [late.id])
            let audited = try await test.db.read { conn in
                try await conn.query("SELECT action, detail FROM audit_log WHERE target = $1 ORDER BY seq", [.text("remediation:\(late.id)")])
                    .map { try $0.string("action") + " " + $0.string("detail") }
            }
            #expect(audited.count == 2 && audited[1].contains("vulns.remediation.status") && audited[1].contains("WAF rule"))

            // Time passes: the 3-day item becomes overdue without anything being written.
            clock.advance(by: 3 * Self.day)
            #expect(try await store.remediationItems(reader: water, filter: RemediationFilter(overdue: true)).items.map(\.id) == [soon.id])
            #expect(try await store.remediationItem(id: soon.id, reader: water).overdue)

            // The organisation's directive re-dates the items that follow it, not one with its own choice.
            let own = try await store.addRemediationItem(RemediationInput(cve: "CVE-2030-0005", asset: "scada-hmi", publiclyExposed: true,
                                                                          automatable: .yes, technicalImpact: .total, directive: .bod2604), by: water)
            #expect(try await store.setRemediationDirective(orgId: nil, directive: "bod-22-01", reason: "agency policy", by: water) == 4)
            #expect(try await store.remediationDirective(orgId: nil, reader: water) == .bod2201)
            let redated = try await store.remediationItem(id: later.id, reader: water)
            #expect(redated.directive == .bod2201 && redated.dueAt == nil && redated.directiveChoice == nil)
            #expect(try await store.remediationItem(id: own.id, reader: water).directive == .bod2604)
        }
    }

    @Test("items belong to their defender organisation: another defender sees nothing, coordinators see all", arguments: Engine.available)
    func isolationBetweenDefenders(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let water = Self.defender("water"), hospital = Self.defender("hospital")
            let coordinator = Reader(userId: "rev", userName: "rev", orgId: "lab-a", orgKind: .aiDeveloper, role: .reviewer)
            let item = try await store.addRemediationItem(RemediationInput(cve: "CVE-2030-0100", asset: "plc", publiclyExposed: true,
                                                                           automatable: .yes, technicalImpact: .total,
                                                                           startedAt: clock.now.addingTimeInterval(-10 * Self.day)), by: water)
            let missing = UUID().uuidString.lowercased()
            for id in [item.id, missing] {
                await #expect(throws: DomainError.notFound("remediation item")) { try await store.remediationItem(id: id, reader: hospital) }
                await #expect(throws: DomainError.notFound("remediation item")) {
                    try await store.setRemediationStatus(id: id, status: "remediated", reason: "x", by: hospital)
                }
            }
            #expect(try await store.remediationItems(reader: hospital).total == 0)
            #expect(try await store.remediationItems(reader: hospital, filter: RemediationFilter(overdue: true)).total == 0)
            #expect(try await store.remediationSummary(orgId: nil, reader: hospital).total == 0)
            #expect(throws: DomainError.notFound("organisation")) { try store.remediationReadOrg("water", reader: hospital) }
            await #expect(throws: DomainError.notFound("organisation")) {
                try await store.addRemediationItem(RemediationInput(orgId: "water", cve: "CVE-2030-0101", asset: "x", publiclyExposed: false,
                                                                    automatable: .no, technicalImpact: .partial), by: hospital)
            }
            // A coordinator sees and acts for every defender; a lab member keeps no items; a read-only token changes nothing.
            #expect(try await store.remediationItem(id: item.id, reader: coordinator).orgId == "water")
            #expect(try await store.remediationSummary(orgId: "water", reader: coordinator) == RemediationSummary(open: 1, overdue: 1, dueSoon: 0, total: 1))
            let forHospital = try await store.addRemediationItem(RemediationInput(orgId: "hospital", cve: "CVE-2030-0102", asset: "ehr", publiclyExposed: false,
                                                                                  automatable: .no, technicalImpact: .total), by: coordinator)
            #expect(forHospital.orgId == "hospital" && forHospital.createdBy == "rev")
            #expect(try await store.remediationItems(reader: hospital).items.map(\.id) == [forHospital.id])
            #expect(try await store.remediationItems(reader: coordinator).total == 2)
            await #expect(throws: DomainError.self) {
                try await store.addRemediationItem(RemediationInput(cve: "CVE-2030-0103", asset: "x", publiclyExposed: false,
                                                                    automatable: .no, technicalImpact: .partial), by: VulnerabilityStoreTests.reader("lab-a"))
            }
            await #expect(throws: DomainError.forbidden("this credential may only read")) {
                try await store.setRemediationStatus(id: item.id, status: "remediated", reason: "patched", by: Self.defender("water", scope: "read"))
            }
            #expect(try await store.remediationItem(id: item.id, reader: water).status == .open)
        }
    }

    @Test("a case the defender can see lends its SSVC points and KEV listing; an embargoed one cannot be named", arguments: Engine.available)
    func caseSSVCAndVisibility(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let clock = ManualClock()
            let store = VulnerabilityStore(db: test.db, clock: clock.clock, secrets: .ephemeral())
            try await Self.orgs(test.db)
            let lab = VulnerabilityStoreTests.reader("lab-a")
            let reviewer = VulnerabilityStoreTests.reader("lab-a", role: .reviewer, name: "rev")
            let open = try await store.submit(try VulnerabilityStoreTests.submission(
                #"{"title":"RCE in the SCADA web console","aliases":["CVE-2030-0200"],"tlp":"clear","submitter_key":"a"}"#), by: lab)
            let embargoed = try await store.submit(try VulnerabilityStoreTests.submission(
                #"{"title":"Secret flaw","aliases":["CVE-2030-0201"],"submitter_key":"b"}"#), by: lab)
            _ = try await store.setSSVC(caseId: open.caseId, points: SSVCPoints(exploitation: .publicPoC, automatable: .yes, technicalImpact: .total,
                                                                                 missionWellBeing: .high), reason: "triaged", by: reviewer)
            let water = Self.defender("water")
            let fromCase = try await store.addRemediationItem(RemediationInput(caseId: open.caseId, asset: "console", publiclyExposed: true), by: water)
            #expect(fromCase.automatable == .yes && fromCase.technicalImpact == .total)
            #expect(fromCase.automatableSource == "SSVC decision of case \(open.caseId)")
            #expect(fromCase.timeline == "3D")  // not in KEV, exposed, automatable, total
            // By CVE alone the case's SSVC is found too.
            let byCVE = try await store.addRemediationItem(RemediationInput(cve: "CVE-2030-0200", asset: "console-2", publiclyExposed: false), by: water)
            #expect(byCVE.technicalImpactSource.hasPrefix("SSVC decision of case") && byCVE.timeline == "60D")
            await #expect(throws: DomainError.invalid(field: "$.case_id", reason: "no case with this id is visible to the organisation")) {
                try await store.addRemediationItem(RemediationInput(caseId: embargoed.caseId, asset: "x", publiclyExposed: true,
                                                                    automatable: .yes, technicalImpact: .total), by: water)
            }
            await #expect(throws: DomainError.self) {  // no SSVC known and none given
                try await store.addRemediationItem(RemediationInput(cve: "CVE-2030-0299", asset: "x", publiclyExposed: true), by: water)
            }
            await #expect(throws: DomainError.conflict("CVE-2030-0200 on console-2 is already tracked")) {
                try await store.addRemediationItem(RemediationInput(cve: "cve-2030-0200", asset: "console-2", publiclyExposed: false), by: water)
            }
        }
    }
}
