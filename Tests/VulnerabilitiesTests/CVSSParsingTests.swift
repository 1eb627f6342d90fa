// Vector parsing and the CVSS.score entry point: what the CLI and API return for good vectors, and
// that bad vectors are rejected with a message naming the offending metric.

import Foundation
import Testing
@testable import Vulnerabilities

@Suite("CVSS vector parsing and the score entry point")
struct CVSSParsingTests {
    @Test("well-known vectors score as NVD and FIRST publish them")
    func knownScores() throws {
        let log4shell = try CVSS.score(vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")
        #expect(log4shell.score == 10.0)
        #expect(log4shell.severity == "Critical")
        #expect(log4shell.version == "3.1")

        let v30 = try CVSS.score(vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        #expect(v30.score == 9.8)
        #expect(v30.version == "3.0")

        let medium = try CVSS.score(vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
        #expect(medium.score == 6.1)
        #expect(medium.severity == "Medium")

        let v4 = try CVSS.score(vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
        #expect(v4.score == 9.3)
        #expect(v4.severity == "Critical")
        #expect(v4.version == "4.0")
        #expect(v4.macroVector == "000200")
        #expect(v4.nomenclature == "CVSS-B")

        let none = try CVSS.score(vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N")
        #expect(none.score == 0.0)
        #expect(none.severity == "None")
    }

    @Test("v3 overall score is the most specific group the vector defines")
    func v3OverallScore() throws {
        let base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
        let temporal = try CVSS.score(vector: base + "/E:U/RL:O/RC:C")
        #expect(temporal.baseScore == 9.8)
        #expect(temporal.score == temporal.temporalScore)
        #expect(temporal.score < 9.8)
        #expect(temporal.environmentalScore == nil)

        let environmental = try CVSS.score(vector: base + "/E:U/CR:L/IR:L/AR:L")
        #expect(environmental.environmentalScore != nil)
        #expect(environmental.score == environmental.environmentalScore)
        #expect(environmental.score < temporal.score)

        // Explicit X values define nothing, so the base score stands.
        let undefined = try CVSS.score(vector: base + "/E:X/MAV:X")
        #expect(undefined.score == 9.8)
        #expect(undefined.vector == base)
    }

    @Test("v4 threat and environmental metrics change the score; supplemental ones do not")
    func v4Groups() throws {
        let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
        let b = try CVSS.score(vector: base)
        let bt = try CVSS.score(vector: base + "/E:U")
        let bte = try CVSS.score(vector: base + "/E:U/CR:L/IR:L/AR:L")
        let supplemental = try CVSS.score(vector: base + "/S:P/AU:Y/R:I/V:C/RE:H/U:Red")
        #expect(bt.nomenclature == "CVSS-BT")
        #expect(bte.nomenclature == "CVSS-BTE")
        #expect(bt.score < b.score)
        #expect(bte.score < bt.score)
        #expect(supplemental.score == b.score)
        #expect(supplemental.nomenclature == "CVSS-B")
        #expect(supplemental.vector.hasSuffix("/S:P/AU:Y/R:I/V:C/RE:H/U:Red"))
    }

    @Test("metric order does not matter; the canonical vector is in specification order")
    func order() throws {
        let shuffled = try CVSS.score(vector: "CVSS:3.1/S:U/C:H/AV:N/AC:L/PR:N/UI:N/I:H/A:H")
        #expect(shuffled.score == 9.8)
        #expect(shuffled.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    }

    @Test(
        "malformed vectors are rejected naming the bad metric",
        arguments: [
            ("CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C", "CVSS:2.0/"),
            ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with"),
            ("", "empty"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "\"ZZ\""),
            ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV has invalid value \"Q\""),
            ("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV appears more than once"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H", "mandatory metric(s) S"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "empty field"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/AH", "\"AH\" is not of the form"),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAT:N", "unknown CVSS 3.0 metric \"MAT\""),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", "SI has invalid value \"S\""),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H", "mandatory metric(s) SC, SI, SA"),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Purple", "U has invalid value \"Purple\""),
        ])
    func rejects(vector: String, messageFragment: String) {
        #expect {
            _ = try CVSS.score(vector: vector)
        } throws: { error in
            guard let error = error as? CVSSError else { return false }
            return error.description.contains(messageFragment)
        }
    }

    @Test("the result encodes to the JSON the CLI prints")
    func json() throws {
        let result = try CVSS.score(vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        let data = try JSONEncoder().encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["score"] as? Double == 9.8)
        #expect(object["severity"] as? String == "Critical")
        #expect(object["version"] as? String == "3.1")
    }
}
