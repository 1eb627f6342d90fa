// The CVSS v4.0 tables: the built-in copy must equal FIRST's files in shared/data, and loading a
// missing or broken folder must fail with a message naming the file and place.

import Foundation
import Testing
@testable import Vulnerabilities

@Suite("CVSS v4.0 tables")
struct CVSS40TablesTests {
    @Test("built-in tables equal the JSON files in shared/data", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func builtinMatchesData() throws {
        let loaded = try CVSS40Tables(folder: try #require(TestData.url("vulns/cvss")))
        #expect(loaded.macroVectorScores.count == 270)
        #expect(loaded.macroVectorScores == CVSS40Tables.builtin.macroVectorScores)
        #expect(loaded.maxSeverity == CVSS40Tables.builtin.maxSeverity)
        #expect(loaded.maxComposed == CVSS40Tables.builtin.maxComposed)
        try CVSS40Tables.builtin.validate()
    }

    @Test("a folder without the tables is reported by file name")
    func missingFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)")
        #expect {
            _ = try CVSS40Tables(folder: folder)
        } throws: { error in
            (error as? CVSSError)?.description.contains("cvss_v4_cvss_lookup.json") == true
        }
    }

    @Test("a malformed table is reported with its JSON path", .enabled(if: TestData.root != nil, "needs ../shared/data"))
    func malformedTable() throws {
        let source = try #require(TestData.url("vulns/cvss"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvss-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in [CVSS40Tables.lookupFileName, CVSS40Tables.maxComposedFileName] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        // eq4 level "1" missing: vectors with a High subsequent-system impact could not be scored.
        let broken = #"{"eq1": {"0": 1, "1": 4, "2": 5}, "eq2": {"0": 1, "1": 2}, "eq3eq6": {"0": {"0": 7, "1": 6}, "1": {"0": 8, "1": 8}, "2": {"1": 10}}, "eq4": {"0": 6, "2": 4}, "eq5": {"0": 1, "1": 1, "2": 1}}"#
        try Data(broken.utf8).write(to: folder.appendingPathComponent(CVSS40Tables.maxSeverityFileName))
        #expect(throws: CVSSError.tableMalformed(
            file: CVSS40Tables.maxSeverityFileName, path: "$.eq4[\"1\"]", reason: "missing")) {
            _ = try CVSS40Tables(folder: folder)
        }
        let wrongType = #"{"eq1": {"0": "one"}}"#
        try Data(wrongType.utf8).write(to: folder.appendingPathComponent(CVSS40Tables.maxSeverityFileName))
        #expect {
            _ = try CVSS40Tables(folder: folder)
        } throws: { error in
            (error as? CVSSError)?.description.contains("$.eq1[\"0\"]") == true
        }
    }

    @Test("a table without a MacroVector's score makes scoring fail, not guess")
    func missingMacroVector() throws {
        let builtin = CVSS40Tables.builtin
        var scores = builtin.macroVectorScores
        scores["000200"] = nil
        let tables = CVSS40Tables(macroVectorScores: scores, maxSeverity: builtin.maxSeverity, maxComposed: builtin.maxComposed)
        #expect(throws: CVSSError.tableMissingEntry(table: CVSS40Tables.lookupFileName, key: "000200")) {
            _ = try CVSS.score(vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", tables: tables)
        }
    }
}
