// The three numeric tables the CVSS v4.0 MacroVector scoring method needs (FIRST reference
// calculator: MacroVector scores, maximal severity depth per equivalence class, highest-severity
// vectors per equivalence class). They are data, not code: load them from a folder with
// `CVSS40Tables(folder:)`, or use `CVSS40Tables.builtin`, a generated copy of the same files
// (CVSS40Tables+Builtin.swift, made by tools/generate_builtin_tables.py) so the product runs
// without ../shared/data.

import Foundation

/// Maximal severity depth (in 0.1 steps) of each equivalence-class level; `maxSeverity` in the
/// FIRST calculator. Keys are the EQ level digits as strings, as in the JSON file.
public struct CVSS40MaxSeverity: Sendable, Equatable, Codable {
    public let eq1: [String: Int]
    public let eq2: [String: Int]
    /// EQ3 level, then EQ6 level.
    public let eq3eq6: [String: [String: Int]]
    public let eq4: [String: Int]
    public let eq5: [String: Int]

    public init(eq1: [String: Int], eq2: [String: Int], eq3eq6: [String: [String: Int]], eq4: [String: Int], eq5: [String: Int]) {
        self.eq1 = eq1
        self.eq2 = eq2
        self.eq3eq6 = eq3eq6
        self.eq4 = eq4
        self.eq5 = eq5
    }
}

/// Highest-severity partial vectors of each equivalence-class level (`maxComposed`), e.g.
/// `"AV:N/PR:N/UI:N/"`. The scoring method measures how far a vector sits below them.
public struct CVSS40MaxComposed: Sendable, Equatable, Codable {
    public let eq1: [String: [String]]
    public let eq2: [String: [String]]
    /// EQ3 level, then EQ6 level (EQ3 and EQ6 are scored jointly).
    public let eq3: [String: [String: [String]]]
    public let eq4: [String: [String]]
    public let eq5: [String: [String]]

    public init(
        eq1: [String: [String]], eq2: [String: [String]], eq3: [String: [String: [String]]],
        eq4: [String: [String]], eq5: [String: [String]]
    ) {
        self.eq1 = eq1
        self.eq2 = eq2
        self.eq3 = eq3
        self.eq4 = eq4
        self.eq5 = eq5
    }
}

/// All tables needed to score a CVSS v4.0 vector.
public struct CVSS40Tables: Sendable, Equatable {
    /// MacroVector (six digits EQ1..EQ6) to its score; 270 entries in the FIRST table.
    public let macroVectorScores: [String: Double]
    public let maxSeverity: CVSS40MaxSeverity
    public let maxComposed: CVSS40MaxComposed

    public static let lookupFileName = "cvss_v4_cvss_lookup.json"
    public static let maxSeverityFileName = "cvss_v4_max_severity.json"
    public static let maxComposedFileName = "cvss_v4_max_composed.json"

    public init(macroVectorScores: [String: Double], maxSeverity: CVSS40MaxSeverity, maxComposed: CVSS40MaxComposed) {
        self.macroVectorScores = macroVectorScores
        self.maxSeverity = maxSeverity
        self.maxComposed = maxComposed
    }

    /// Loads the three JSON files (`cvss_v4_cvss_lookup.json`, `cvss_v4_max_severity.json`,
    /// `cvss_v4_max_composed.json`) from `folder`, e.g. `<data>/vulns/cvss`, and checks them.
    public init(folder: URL) throws(CVSSError) {
        let lookup: [String: Double] = try Self.decode(folder, Self.lookupFileName)
        let severity: CVSS40MaxSeverity = try Self.decode(folder, Self.maxSeverityFileName)
        let composed: CVSS40MaxComposed = try Self.decode(folder, Self.maxComposedFileName)
        self.init(macroVectorScores: lookup, maxSeverity: severity, maxComposed: composed)
        try validate()
    }

    /// Checks that every key the scoring method can ask for is present and well formed.
    public func validate() throws(CVSSError) {
        for (key, score) in macroVectorScores {
            guard key.count == 6, key.allSatisfy({ ("0"..."3").contains($0) }) else {
                throw .tableMalformed(file: Self.lookupFileName, path: "$[\"\(key)\"]", reason: "key is not a MacroVector")
            }
            guard (0...10).contains(score) else {
                throw .tableMalformed(file: Self.lookupFileName, path: "$[\"\(key)\"]", reason: "score \(score) is outside 0-10")
            }
        }
        let levels: [(String, [String: Int], ClosedRange<Int>)] = [
            ("eq1", maxSeverity.eq1, 0...2), ("eq2", maxSeverity.eq2, 0...1),
            ("eq4", maxSeverity.eq4, 0...2), ("eq5", maxSeverity.eq5, 0...2),
        ]
        for (name, table, range) in levels {
            for level in range where table[String(level)] == nil {
                throw .tableMalformed(file: Self.maxSeverityFileName, path: "$.\(name)[\"\(level)\"]", reason: "missing")
            }
        }
        let composedLevels: [(String, [String: [String]], ClosedRange<Int>)] = [
            ("eq1", maxComposed.eq1, 0...2), ("eq2", maxComposed.eq2, 0...1),
            ("eq4", maxComposed.eq4, 0...2), ("eq5", maxComposed.eq5, 0...2),
        ]
        for (name, table, range) in composedLevels {
            for level in range where (table[String(level)] ?? []).isEmpty {
                throw .tableMalformed(file: Self.maxComposedFileName, path: "$.\(name)[\"\(level)\"]", reason: "missing or empty")
            }
        }
        // EQ3=2 forces EQ6=1 (no High impact means no High requirement can combine with one).
        for (eq3, eq6) in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 1)] {
            if maxSeverity.eq3eq6[String(eq3)]?[String(eq6)] == nil {
                throw .tableMalformed(file: Self.maxSeverityFileName, path: "$.eq3eq6[\"\(eq3)\"][\"\(eq6)\"]", reason: "missing")
            }
            if (maxComposed.eq3[String(eq3)]?[String(eq6)] ?? []).isEmpty {
                throw .tableMalformed(file: Self.maxComposedFileName, path: "$.eq3[\"\(eq3)\"][\"\(eq6)\"]", reason: "missing or empty")
            }
        }
    }

    private static func decode<T: Decodable>(_ folder: URL, _ name: String) throws(CVSSError) -> T {
        let url = folder.appendingPathComponent(name)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .tableUnreadable(path: url.path, reason: "file missing or unreadable")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context)
        {
            throw .tableMalformed(file: name, path: scoringJSONPath(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .tableMalformed(file: name, path: scoringJSONPath(context.codingPath + [key]), reason: "missing")
        } catch {
            throw .tableMalformed(file: name, path: "$", reason: "not valid JSON")
        }
    }
}

/// Renders a Codable coding path as a JSON path (`$.eq3["0"][1]`).
func scoringJSONPath(_ codingPath: [any CodingKey]) -> String {
    var path = "$"
    for key in codingPath {
        // JSONDecoder gives array positions an intValue and a stringValue "Index N"; dictionary keys
        // such as "0" may also carry an intValue, but keep their own string.
        if let index = key.intValue, key.stringValue != String(index) {
            path += "[\(index)]"
        } else if key.stringValue.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
            key.stringValue.first?.isLetter == true
        {
            path += ".\(key.stringValue)"
        } else {
            path += "[\"\(key.stringValue)\"]"
        }
    }
    return path
}
