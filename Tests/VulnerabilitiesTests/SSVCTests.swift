// CISA's SSVC tree and the BOD 26-04 deadlines, checked against every row of the published CSV
// tables (a source independent of the JSON the built-in copy was generated from).

import Foundation
import Testing
@testable import Vulnerabilities

@Suite("SSVC: CISA decision tree and BOD 26-04 deadlines")
struct SSVCTests {
    static let tables = "vulns/ssvc/json/decision_tables/cisa/"

    /// The value key whose name is `name` (CSV cells are lower-case value names, e.g. "public poc").
    static func key(_ table: SSVCDecisionTable, _ namespace: String, _ pointKey: String, named name: String) throws -> String {
        let id = try #require(table.decisionPointID(namespace: namespace, key: pointKey))
        let point = try #require(table.decisionPoints[id])
        return try #require(point.values.first { $0.name.lowercased() == name }, "\(pointKey) has no value \(name)").key
    }

    @Test("CISA coordinator: all 36 rows of CISA's table", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func cisaCoordinatorRows() throws {
        let rows = try TestData.csv("vulns/ssvc/csv/cisa/cisa_coordinator_2_0_3.csv")
        #expect(rows.first?.last == "CISA Levels v1.1.0 (cisa)")
        let body = rows.dropFirst()
        #expect(body.count == 36)
        let coordinator = try SSVCCISACoordinator()
        let table = coordinator.table
        var mismatches: [String] = []
        for row in body {
            try #require(row.count == 6)
            let decision = try coordinator.decide(
                exploitation: try #require(SSVCExploitation(rawValue: try Self.key(table, "ssvc", "E", named: row[1]))),
                automatable: try #require(SSVCAutomatable(rawValue: try Self.key(table, "ssvc", "A", named: row[2]))),
                technicalImpact: try #require(SSVCTechnicalImpact(rawValue: try Self.key(table, "ssvc", "TI", named: row[3]))),
                missionWellBeing: try #require(SSVCMissionWellBeingImpact(rawValue: try Self.key(table, "ssvc", "MWI", named: row[4]))))
            if decision.priority.displayName.lowercased() != row[5] { mismatches.append(row.joined(separator: ",")) }
            #expect(decision.path.map(\.valueName).map { $0.lowercased() } == Array(row[1...4]))
        }
        print("SSVC-ROWS cisa_coordinator_2_0_3.csv: \(body.count) rows, \(mismatches.count) mismatches")
        #expect(mismatches.isEmpty, "rows decided differently: \(mismatches)")
    }

    @Test("CISA coordinator: decisions a reviewer would recognise, with their path")
    func cisaCoordinatorExamples() throws {
        let coordinator = try SSVCCISACoordinator()
        let act = try coordinator.decide(exploitation: .active, automatable: .yes, technicalImpact: .total, missionWellBeing: .high)
        #expect(act.priority == .act)
        #expect(act.table == "cisa:DT_CO:2.0.3")
        #expect(act.path.map(\.name) == ["Exploitation", "Automatable", "Technical Impact", "Mission and Well-Being Impact"])
        #expect(act.path.map(\.decisionPoint) == ["ssvc:E:1.1.0", "ssvc:A:2.0.0", "ssvc:TI:1.0.0", "ssvc:MWI:1.0.0"])
        #expect(act.path.map(\.valueName) == ["Active", "Yes", "Total", "High"])
        let track = try coordinator.decide(exploitation: .none, automatable: .no, technicalImpact: .partial, missionWellBeing: .low)
        #expect(track.priority == .track)
        let trackStar = try coordinator.decide(exploitation: .none, automatable: .no, technicalImpact: .total, missionWellBeing: .high)
        #expect(trackStar.priority == .trackStar)
        #expect(SSVCPriority.act > SSVCPriority.attend && SSVCPriority.attend > SSVCPriority.trackStar)
    }

    @Test("built-in SSVC tables equal the JSON files in shared/data", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func builtinMatchesData() throws {
        let folder = try #require(TestData.url(Self.tables))
        let coordinator = try SSVCDecisionTable(contentsOf: folder.appendingPathComponent("cisa_coordinator_2_0_3.json"))
        let bod = try SSVCDecisionTable(contentsOf: folder.appendingPathComponent("cisa_bod_26_04_1_0_0.json"))
        #expect(coordinator == .cisaCoordinator)
        #expect(bod == .cisaBOD2604)
        try SSVCDecisionTable.cisaCoordinator.validate()
        try SSVCDecisionTable.cisaBOD2604.validate()
    }

    @Test("a table loaded from a file decides like the built-in one", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func loadedTableDecides() throws {
        let url = try #require(TestData.url(Self.tables + "cisa_coordinator_2_0_3.json"))
        let coordinator = try SSVCCISACoordinator(table: try SSVCDecisionTable(contentsOf: url))
        let decision = try coordinator.decide(exploitation: .publicPoC, automatable: .yes, technicalImpact: .total, missionWellBeing: .medium)
        #expect(decision.priority == .trackStar)
    }

    @Test("a broken decision table is rejected naming the JSON path", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func brokenTable() throws {
        let url = try #require(TestData.url(Self.tables + "cisa_coordinator_2_0_3.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var mapping = try #require(json["mapping"] as? [[String: String]])
        mapping[3]["ssvc:E:1.1.0"] = "Z"
        json["mapping"] = mapping
        #expect(throws: SSVCError.malformed(path: "$.mapping[3][\"ssvc:E:1.1.0\"]", reason: "\"Z\" is not a value of Exploitation")) {
            _ = try SSVCDecisionTable(jsonData: try JSONSerialization.data(withJSONObject: json))
        }
        // Restore the row, then drop the last one: some inputs would have no decision.
        mapping[3]["ssvc:E:1.1.0"] = "N"
        json["mapping"] = Array(mapping.prefix(35))
        #expect {
            _ = try SSVCDecisionTable(jsonData: try JSONSerialization.data(withJSONObject: json))
        } throws: { error in
            (error as? SSVCError)?.description.contains("at $.mapping: has 35 rows, expected 36") == true
        }
        #expect(throws: SSVCError.self) {
            _ = try SSVCDecisionTable(jsonData: Data("{\"namespace\": 1}".utf8))
        }
    }

    @Test("a table without CISA's decision points cannot back the CISA tree")
    func wrongTable() {
        #expect(throws: SSVCError.missingDecisionPoint(table: "cisa:DT_BOD2604:1.0.0", decisionPoint: "ssvc:E")) {
            _ = try SSVCCISACoordinator(table: .cisaBOD2604)
        }
    }

    // MARK: - BOD 26-04

    @Test("BOD 26-04: every row of CISA's timeline table", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func bodRows() throws {
        let rows = try TestData.csv("vulns/ssvc/csv/cisa/cisa_bod_26_04_1_0_0.csv")
        #expect(rows.first?[1] == "In KEV v1.0.0 (cisa)")
        #expect(rows.first?[2] == "Publicly Exposed v1.0.0 (cisa)")
        let body = rows.dropFirst()
        #expect(body.count == 16)
        let policy = try BODDeadlinePolicy()
        var mismatches: [String] = []
        for row in body {
            try #require(row.count == 6)
            let deadline = try policy.remediationDeadline(
                inKEV: row[1] == "yes", publiclyExposed: row[2] == "yes",
                automatable: row[3] == "yes" ? .yes : .no, technicalImpact: row[4] == "total" ? .total : .partial)
            let outcome = row[5]
            // The CSV spells the outcome; the days it allows are the number it starts with.
            let expectedDays = outcome.split(separator: " ").first.flatMap { Int($0) }
            let ok = deadline.path.map(\.name) == ["In KEV", "Publicly Exposed", "Automatable", "Technical Impact"]
                && deadline.reason.lowercased().hasSuffix(outcome)
                && deadline.timeline.days == expectedDays
                && deadline.dueInterval == expectedDays.map { TimeInterval($0 * 86_400) }
                && deadline.requiresForensicInvestigation == outcome.contains("forensic")
            if !ok { mismatches.append(row.joined(separator: ",") + " -> \(deadline.timeline)") }
        }
        print("BOD-ROWS cisa_bod_26_04_1_0_0.csv: \(body.count) rows, \(mismatches.count) mismatches")
        #expect(mismatches.isEmpty, "rows decided differently: \(mismatches)")
    }

    @Test("BOD 26-04: due date and reason for a KEV-listed, internet-facing, total-impact flaw")
    func bodExample() throws {
        let policy = try BODDeadlinePolicy()
        let deadline = try policy.remediationDeadline(inKEV: true, publiclyExposed: true, automatable: .no, technicalImpact: .total)
        #expect(deadline.timeline == .days3WithForensicInvestigation)
        #expect(deadline.requiresForensicInvestigation)
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        #expect(deadline.dueDate(from: start) == start.addingTimeInterval(3 * 86_400))
        #expect(deadline.reason.contains("In KEV = Yes"))
        #expect(deadline.reason.contains("Publicly Exposed = Yes"))
        #expect(deadline.reason.contains("3 days & forensic investigation"))

        let upgrade = try policy.remediationDeadline(inKEV: false, publiclyExposed: false, automatable: .no, technicalImpact: .total)
        #expect(upgrade.timeline == .fixOnSystemUpgrade)
        #expect(upgrade.dueInterval == nil)
        #expect(upgrade.dueDate(from: start) == nil)
    }
}
