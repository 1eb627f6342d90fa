// CVSS v4.0 vectors (base, threat, environmental and supplemental metrics) and their score by the
// MacroVector method of the FIRST CVSS v4.0 specification §8: classify the vector into six
// equivalence classes, look up the MacroVector's score, then lower it in proportion to how far
// the vector sits below the MacroVector's most severe vectors. Supplemental metrics are parsed and
// kept but, as the spec says, never change the score.

import Foundation

/// A parsed, validated CVSS v4.0 vector.
public struct CVSS40Vector: Sendable, Hashable {
    /// Metrics exactly as the vector gave them (abbreviation to value), including explicit `X`.
    public let metrics: [String: String]

    static let definitions: [CVSSMetricDefinition] = {
        let impact = ["H", "L", "N"]
        func base(_ name: String, _ values: [String]) -> CVSSMetricDefinition {
            .init(abbreviation: name, values: values, mandatory: true)
        }
        func optional(_ name: String, _ values: [String]) -> CVSSMetricDefinition {
            .init(abbreviation: name, values: ["X"] + values, mandatory: false)
        }
        return [
            base("AV", ["N", "A", "L", "P"]), base("AC", ["L", "H"]), base("AT", ["N", "P"]),
            base("PR", ["N", "L", "H"]), base("UI", ["N", "P", "A"]),
            base("VC", impact), base("VI", impact), base("VA", impact),
            base("SC", impact), base("SI", impact), base("SA", impact),
            optional("E", ["A", "P", "U"]),
            optional("CR", ["H", "M", "L"]), optional("IR", ["H", "M", "L"]), optional("AR", ["H", "M", "L"]),
            optional("MAV", ["N", "A", "L", "P"]), optional("MAC", ["L", "H"]), optional("MAT", ["N", "P"]),
            optional("MPR", ["N", "L", "H"]), optional("MUI", ["N", "P", "A"]),
            optional("MVC", impact), optional("MVI", impact), optional("MVA", impact),
            optional("MSC", impact), optional("MSI", ["S"] + impact), optional("MSA", ["S"] + impact),
            optional("S", ["N", "P"]), optional("AU", ["N", "Y"]), optional("R", ["A", "U", "I"]),
            optional("V", ["D", "C"]), optional("RE", ["L", "M", "H"]),
            optional("U", ["Clear", "Green", "Amber", "Red"]),
        ]
    }()
    static let threatMetrics: Set<String> = ["E"]
    static let environmentalMetrics: Set<String> = [
        "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
    ]

    /// Parses `CVSS:4.0/AV:N/AC:L/...`.
    public init(parsing vector: String) throws(CVSSError) {
        if vector.isEmpty { throw .emptyVector }
        guard vector.hasPrefix("CVSS:4.0/") else { throw .badPrefix(found: String(vector.prefix(9))) }
        metrics = try CVSSVectorFields.parse(
            body: vector.dropFirst("CVSS:4.0/".count), definitions: Self.definitions, version: "4.0")
    }

    /// The vector in specification order, without metrics set to `X`.
    public var vectorString: String {
        CVSSVectorFields.canonical(prefix: "CVSS:4.0/", metrics: metrics, definitions: Self.definitions)
    }

    /// Which metric groups the score reflects: CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE (spec §1.3).
    public var nomenclature: String {
        let threat = metrics.contains { Self.threatMetrics.contains($0.key) && $0.value != "X" }
        let environmental = metrics.contains { Self.environmentalMetrics.contains($0.key) && $0.value != "X" }
        return "CVSS-B" + (threat ? "T" : "") + (environmental ? "E" : "")
    }

    /// The value that counts for scoring: threat and requirement metrics default to their worst
    /// case when undefined, and a modified metric overrides its base metric unless it is `X`.
    func effective(_ metric: String) -> String {
        let selected = metrics[metric] ?? "X"
        switch (metric, selected) {
        case ("E", "X"): return "A"
        case ("CR", "X"), ("IR", "X"), ("AR", "X"): return "H"
        default: break
        }
        if let modified = metrics["M" + metric], modified != "X" { return modified }
        return selected
    }

    /// The six equivalence-class levels EQ1..EQ6 (spec §8.2, Table 24).
    public var macroVector: String {
        let av = effective("AV"), pr = effective("PR"), ui = effective("UI")
        let eq1: Int
        if av == "N" && pr == "N" && ui == "N" {
            eq1 = 0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            eq1 = 1
        } else {
            eq1 = 2
        }
        let eq2 = effective("AC") == "L" && effective("AT") == "N" ? 0 : 1
        let vc = effective("VC"), vi = effective("VI"), va = effective("VA")
        let eq3 = vc == "H" && vi == "H" ? 0 : (vc == "H" || vi == "H" || va == "H" ? 1 : 2)
        let eq4: Int
        if effective("SI") == "S" || effective("SA") == "S" {
            eq4 = 0
        } else if effective("SC") == "H" || effective("SI") == "H" || effective("SA") == "H" {
            eq4 = 1
        } else {
            eq4 = 2
        }
        let eq5 = ["A": 0, "P": 1, "U": 2][effective("E")] ?? 0
        let eq6 = (effective("CR") == "H" && vc == "H") || (effective("IR") == "H" && vi == "H")
            || (effective("AR") == "H" && va == "H") ? 0 : 1
        return "\(eq1)\(eq2)\(eq3)\(eq4)\(eq5)\(eq6)"
    }

    // MARK: - Scoring

    /// Severity levels of each metric value, in steps of 0.1 (0 is the most severe).
    private static let levels: [String: [String: Double]] = {
        let impact = ["H": 0.0, "L": 0.1, "N": 0.2]
        let subsequent = ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3]
        let requirement = ["H": 0.0, "M": 0.1, "L": 0.2]
        return [
            "AV": ["N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3], "PR": ["N": 0.0, "L": 0.1, "H": 0.2],
            "UI": ["N": 0.0, "P": 0.1, "A": 0.2], "AC": ["L": 0.0, "H": 0.1], "AT": ["N": 0.0, "P": 0.1],
            "VC": impact, "VI": impact, "VA": impact,
            "SC": subsequent, "SI": subsequent, "SA": subsequent,
            "CR": requirement, "IR": requirement, "AR": requirement,
        ]
    }()
    private static let distanceMetrics = [
        "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
    ]

    /// The CVSS v4.0 score (0.0-10.0, one decimal).
    public func score(tables: CVSS40Tables) throws(CVSSError) -> Double {
        if ["VC", "VI", "VA", "SC", "SI", "SA"].allSatisfy({ effective($0) == "N" }) { return 0 }
        let macro = macroVector
        let eq = macro.compactMap { $0.wholeNumberValue }
        guard let value = tables.macroVectorScores[macro] else {
            throw .tableMissingEntry(table: CVSS40Tables.lookupFileName, key: macro)
        }
        func lookup(_ digits: [Int]) -> Double? {
            tables.macroVectorScores[digits.map(String.init).joined()]
        }
        func lower(_ index: Int) -> [Int] {
            var digits = eq
            digits[index] += 1
            return digits
        }

        // Score of the next lower MacroVector along each equivalence class. EQ3 and EQ6 move
        // together because some of their combinations do not exist.
        let nextEQ1 = lookup(lower(0))
        let nextEQ2 = lookup(lower(1))
        let nextEQ3EQ6: Double?
        switch (eq[2], eq[5]) {
        case (0, 1), (1, 1): nextEQ3EQ6 = lookup(lower(2))
        case (1, 0): nextEQ3EQ6 = lookup(lower(5))
        case (0, 0):
            let left = lookup(lower(5)), right = lookup(lower(2))
            switch (left, right) {
            case let (l?, r?): nextEQ3EQ6 = max(l, r)
            default: nextEQ3EQ6 = left ?? right
            }
        default: nextEQ3EQ6 = nil  // EQ3=2, EQ6=1 is already the least severe combination
        }
        let nextEQ4 = lookup(lower(3))
        let nextEQ5 = lookup(lower(4))

        // Find the first highest-severity vector of this MacroVector that the vector does not exceed.
        let composed = tables.maxComposed
        func maxes(_ table: [String: [String]], _ level: Int, _ name: String) throws(CVSSError) -> [String] {
            guard let list = table[String(level)], !list.isEmpty else {
                throw .tableMissingEntry(table: CVSS40Tables.maxComposedFileName, key: "\(name)[\"\(level)\"]")
            }
            return list
        }
        let eq1Maxes = try maxes(composed.eq1, eq[0], "eq1")
        let eq2Maxes = try maxes(composed.eq2, eq[1], "eq2")
        let eq3Maxes = try maxes(composed.eq3[String(eq[2])] ?? [:], eq[5], "eq3[\"\(eq[2])\"]")
        let eq4Maxes = try maxes(composed.eq4, eq[3], "eq4")
        let eq5Maxes = try maxes(composed.eq5, eq[4], "eq5")
        var distances: [String: Double] = [:]
        search: for a in eq1Maxes {
            for b in eq2Maxes {
                for c in eq3Maxes {
                    for d in eq4Maxes {
                        for e in eq5Maxes {
                            let maxVector = Self.partialVector(a + b + c + d + e)
                            distances = [:]
                            for metric in Self.distanceMetrics {
                                let mine = Self.levels[metric]?[effective(metric)] ?? 0
                                let theirs = Self.levels[metric]?[maxVector[metric] ?? ""] ?? 0
                                distances[metric] = mine - theirs
                            }
                            // Like the reference calculator, fall back to the last candidate if none fits.
                            if distances.values.allSatisfy({ $0 >= 0 }) { break search }
                        }
                    }
                }
            }
        }
        func dist(_ metric: String) -> Double { distances[metric] ?? 0 }
        let currentEQ1 = dist("AV") + dist("PR") + dist("UI")
        let currentEQ2 = dist("AC") + dist("AT")
        let currentEQ3EQ6 = dist("VC") + dist("VI") + dist("VA") + dist("CR") + dist("IR") + dist("AR")
        let currentEQ4 = dist("SC") + dist("SI") + dist("SA")

        let step = 0.1
        let severity = tables.maxSeverity
        func depth(_ level: Int?, _ name: String) throws(CVSSError) -> Double {
            guard let level else { throw .tableMissingEntry(table: CVSS40Tables.maxSeverityFileName, key: name) }
            return Double(level) * step
        }
        let maxEQ1 = try depth(severity.eq1[String(eq[0])], "eq1[\"\(eq[0])\"]")
        let maxEQ2 = try depth(severity.eq2[String(eq[1])], "eq2[\"\(eq[1])\"]")
        let maxEQ3EQ6 = try depth(
            severity.eq3eq6[String(eq[2])]?[String(eq[5])], "eq3eq6[\"\(eq[2])\"][\"\(eq[5])\"]")
        let maxEQ4 = try depth(severity.eq4[String(eq[3])], "eq4[\"\(eq[3])\"]")

        // Each existing lower MacroVector contributes the share of the score gap that matches the
        // vector's share of the class's severity depth; EQ5 contributes nothing (a single vector).
        var existingLower = 0
        var normalized = [0.0, 0.0, 0.0, 0.0, 0.0]
        let parts: [(Double?, Double, Double)] = [
            (nextEQ1, currentEQ1, maxEQ1), (nextEQ2, currentEQ2, maxEQ2),
            (nextEQ3EQ6, currentEQ3EQ6, maxEQ3EQ6), (nextEQ4, currentEQ4, maxEQ4),
        ]
        for (index, (next, current, maxDepth)) in parts.enumerated() {
            guard let next else { continue }
            let available = value - next
            guard available >= 0 else { continue }
            existingLower += 1
            normalized[index] = available * (current / maxDepth)
        }
        if let nextEQ5, value - nextEQ5 >= 0 { existingLower += 1 }
        let sum = normalized[0] + normalized[1] + normalized[2] + normalized[3] + normalized[4]
        let meanDistance = existingLower == 0 ? 0 : sum / Double(existingLower)
        let result = min(10, max(0, value - meanDistance))
        // The spec rounds the real-number result half up; binary noise turns e.g. 8.6 - 7.15 into
        // 1.4499999999999993, so, like the FIRST calculator, nudge by 1e-6 before rounding.
        return Self.roundHalfUp(result + 1e-6)
    }

    /// Parses a partial vector like `AV:N/PR:N/UI:N/AC:L/` into metric to value.
    private static func partialVector(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for field in text.split(separator: "/") {
            let parts = field.split(separator: ":")
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// Rounds to one decimal, halves away from zero, judged on the exact binary value of the input
    /// (no second rounding error from computing value * 10).
    static func roundHalfUp(_ value: Double) -> Double {
        // Exact test of value * factor >= n: rounding is monotonic, so only a tie needs the
        // fused multiply-add's exact remainder to decide.
        func atLeast(_ n: Double, times factor: Double) -> Bool {
            let product = value * factor
            if product != n { return product > n }
            return (-product).addingProduct(factor, value) >= 0
        }
        var tenths = (value * 10).rounded(.down)
        if !atLeast(tenths, times: 10) { tenths -= 1 }
        if atLeast(tenths + 1, times: 10) { tenths += 1 }
        let roundsUp = atLeast(2 * tenths + 1, times: 20)
        return (roundsUp ? tenths + 1 : tenths) / 10
    }
}
