// Scores every line of the Red Hat `cvss` test-vector files (vulns/cvss/redhat-test-vectors) and
// compares with the published scores; a mismatch means a user would see a wrong CVSS score.

import Foundation
import Testing
@testable import Vulnerabilities

@Suite("CVSS test vectors (Red Hat cvss)")
struct CVSSTestVectorTests {
    static let folder = "vulns/cvss/redhat-test-vectors/"

    /// Splits `VECTOR - (a, b, c)`, `VECTOR - (a,)` or `VECTOR - a` into the vector and its numbers.
    static func parse(_ line: String) throws -> (vector: String, scores: [Double]) {
        let parts = line.components(separatedBy: " - ")
        try #require(parts.count == 2, "line is not VECTOR - SCORES: \(line)")
        let numbers = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let scores = try numbers.map { try #require(Double($0), "not a number: \($0) in \(line)") }
        return (parts[0].trimmingCharacters(in: .whitespaces), scores)
    }

    @Test(
        "v3.x base, temporal and environmental scores",
        .enabled(if: TestData.root != nil, "needs ../shared/data"),
        arguments: [
            ("vectors_simple3.txt", 2592), ("vectors_simple31.txt", 2592),
            ("vectors_calculator3.txt", 2), ("vectors_cvsslib3.txt", 29),
        ])
    func version3(file: String, expectedLines: Int) throws {
        let lines = try TestData.lines(Self.folder + file)
        #expect(lines.count == expectedLines)
        var mismatches: [String] = []
        for line in lines {
            let (vector, expected) = try Self.parse(line)
            try #require(expected.count == 3)
            let scores = try CVSS31Vector(parsing: vector).scores()
            let actual = [scores.base, scores.temporal, scores.environmental]
            if actual != expected { mismatches.append("\(vector): got \(actual), expected \(expected)") }
        }
        print("CVSS-VECTORS \(file): \(lines.count) lines, \(mismatches.count) mismatches")
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches in \(file), first: \(mismatches.prefix(5))")
    }

    @Test(
        "v4.0 scores",
        .enabled(if: TestData.root != nil, "needs ../shared/data"),
        arguments: [
            ("vectors_simple4.txt", 1058), ("vectors_security4.txt", 54),
            ("vectors_supplemental4.txt", 576), ("vectors_threat4.txt", 6),
        ])
    func version4(file: String, expectedLines: Int) throws {
        let lines = try TestData.lines(Self.folder + file)
        #expect(lines.count == expectedLines)
        let tables = try CVSS40Tables(folder: try #require(TestData.url("vulns/cvss")))
        var mismatches: [String] = []
        for line in lines {
            let (vector, expected) = try Self.parse(line)
            try #require(expected.count == 1)
            let actual = try CVSS40Vector(parsing: vector).score(tables: tables)
            if actual != expected[0] { mismatches.append("\(vector): got \(actual), expected \(expected[0])") }
        }
        print("CVSS-VECTORS \(file): \(lines.count) lines, \(mismatches.count) mismatches")
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches in \(file), first: \(mismatches.prefix(5))")
    }
}
