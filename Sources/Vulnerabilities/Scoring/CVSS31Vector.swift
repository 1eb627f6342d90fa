// CVSS v3.0 / v3.1 vectors and their base, temporal and environmental scores (FIRST CVSS v3.1
// specification §7, and v3.0 §8 for the two places where 3.0 differs).
// Arithmetic is done in Decimal so that the spec's "Roundup" sees the exact products the spec
// intends; binary floating point puts values like 4.6 a hair above 4.6 and would round them up to 4.7.

import Foundation

/// Which minor version of CVSS v3 a vector declares; it changes the rounding and one formula.
public enum CVSS3Version: String, Sendable, Codable {
    case v3_0 = "3.0"
    case v3_1 = "3.1"
}

/// The three CVSS v3.x scores. `temporal` and `environmental` are always computed (undefined
/// metrics count as `X`); the flags say whether the vector actually defined any such metric.
public struct CVSS31Scores: Sendable, Equatable, Codable {
    public let base: Double
    public let temporal: Double
    public let environmental: Double
    public let definesTemporal: Bool
    public let definesEnvironmental: Bool

    /// The most specific score the vector supports: environmental if it defines environmental
    /// metrics, else temporal if it defines temporal metrics, else base.
    public var overall: Double {
        if definesEnvironmental { return environmental }
        if definesTemporal { return temporal }
        return base
    }
}

/// A parsed, validated CVSS v3.0 or v3.1 vector.
public struct CVSS31Vector: Sendable, Hashable {
    public let version: CVSS3Version
    /// Metrics exactly as the vector gave them (abbreviation to value), including explicit `X`.
    public let metrics: [String: String]

    static let definitions: [CVSSMetricDefinition] = [
        .init(abbreviation: "AV", values: ["N", "A", "L", "P"], mandatory: true),
        .init(abbreviation: "AC", values: ["L", "H"], mandatory: true),
        .init(abbreviation: "PR", values: ["N", "L", "H"], mandatory: true),
        .init(abbreviation: "UI", values: ["N", "R"], mandatory: true),
        .init(abbreviation: "S", values: ["U", "C"], mandatory: true),
        .init(abbreviation: "C", values: ["H", "L", "N"], mandatory: true),
        .init(abbreviation: "I", values: ["H", "L", "N"], mandatory: true),
        .init(abbreviation: "A", values: ["H", "L", "N"], mandatory: true),
        .init(abbreviation: "E", values: ["X", "H", "F", "P", "U"], mandatory: false),
        .init(abbreviation: "RL", values: ["X", "U", "W", "T", "O"], mandatory: false),
        .init(abbreviation: "RC", values: ["X", "C", "R", "U"], mandatory: false),
        .init(abbreviation: "CR", values: ["X", "H", "M", "L"], mandatory: false),
        .init(abbreviation: "IR", values: ["X", "H", "M", "L"], mandatory: false),
        .init(abbreviation: "AR", values: ["X", "H", "M", "L"], mandatory: false),
        .init(abbreviation: "MAV", values: ["X", "N", "A", "L", "P"], mandatory: false),
        .init(abbreviation: "MAC", values: ["X", "L", "H"], mandatory: false),
        .init(abbreviation: "MPR", values: ["X", "N", "L", "H"], mandatory: false),
        .init(abbreviation: "MUI", values: ["X", "N", "R"], mandatory: false),
        .init(abbreviation: "MS", values: ["X", "U", "C"], mandatory: false),
        .init(abbreviation: "MC", values: ["X", "H", "L", "N"], mandatory: false),
        .init(abbreviation: "MI", values: ["X", "H", "L", "N"], mandatory: false),
        .init(abbreviation: "MA", values: ["X", "H", "L", "N"], mandatory: false),
    ]
    static let temporalMetrics: Set<String> = ["E", "RL", "RC"]
    static let environmentalMetrics: Set<String> = [
        "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ]

    /// Parses `CVSS:3.1/AV:N/...` or `CVSS:3.0/AV:N/...`.
    public init(parsing vector: String) throws(CVSSError) {
        if vector.isEmpty { throw .emptyVector }
        let version: CVSS3Version
        if vector.hasPrefix("CVSS:3.1/") {
            version = .v3_1
        } else if vector.hasPrefix("CVSS:3.0/") {
            version = .v3_0
        } else {
            throw .badPrefix(found: String(vector.prefix(9)))
        }
        let body = vector.dropFirst("CVSS:3.x/".count)
        self.version = version
        self.metrics = try CVSSVectorFields.parse(
            body: body, definitions: Self.definitions, version: version.rawValue)
    }

    /// The vector in specification order, without metrics set to `X`.
    public var vectorString: String {
        CVSSVectorFields.canonical(
            prefix: "CVSS:\(version.rawValue)/", metrics: metrics, definitions: Self.definitions)
    }

    public var definesTemporal: Bool {
        metrics.contains { Self.temporalMetrics.contains($0.key) && $0.value != "X" }
    }

    public var definesEnvironmental: Bool {
        metrics.contains { Self.environmentalMetrics.contains($0.key) && $0.value != "X" }
    }

    // MARK: - Scoring

    public func scores() -> CVSS31Scores {
        let base = baseScore()
        let temporal = roundUp(base * temporalMultiplier())
        return CVSS31Scores(
            base: Self.double(base), temporal: Self.double(temporal),
            environmental: Self.double(environmentalScore()),
            definesTemporal: definesTemporal, definesEnvironmental: definesEnvironmental)
    }

    /// The value of a metric, or of its base metric when a modified metric is absent or `X`.
    private func effective(_ modified: String) -> String {
        if let value = metrics[modified], value != "X" { return value }
        return metrics[String(modified.dropFirst())] ?? "X"
    }

    private func baseScore() -> Decimal {
        let scopeChanged = metrics["S"] == "C"
        let iss = 1 - (1 - Self.impact(metrics["C"])) * (1 - Self.impact(metrics["I"])) * (1 - Self.impact(metrics["A"]))
        let impact: Decimal
        if scopeChanged {
            impact = Self.dec(752, -2) * (iss - Self.dec(29, -3)) - Self.dec(325, -2) * pow(iss - Self.dec(2, -2), 15)
        } else {
            impact = Self.dec(642, -2) * iss
        }
        let exploitability = Self.dec(822, -2) * Self.attackVector(metrics["AV"]) * Self.attackComplexity(metrics["AC"])
            * Self.privileges(metrics["PR"], scopeChanged: scopeChanged) * Self.userInteraction(metrics["UI"])
        if impact <= 0 { return 0 }
        if scopeChanged { return roundUp(min(Self.dec(108, -2) * (impact + exploitability), 10)) }
        return roundUp(min(impact + exploitability, 10))
    }

    private func temporalMultiplier() -> Decimal {
        Self.exploitMaturity(metrics["E"]) * Self.remediationLevel(metrics["RL"]) * Self.reportConfidence(metrics["RC"])
    }

    private func environmentalScore() -> Decimal {
        let scopeChanged = effective("MS") == "C"
        let miss = min(
            1 - (1 - Self.impact(effective("MC")) * Self.requirement(metrics["CR"]))
                * (1 - Self.impact(effective("MI")) * Self.requirement(metrics["IR"]))
                * (1 - Self.impact(effective("MA")) * Self.requirement(metrics["AR"])),
            Self.dec(915, -3))
        let impact: Decimal
        if scopeChanged {
            switch version {
            case .v3_0:
                impact = Self.dec(752, -2) * (miss - Self.dec(29, -3)) - Self.dec(325, -2) * pow(miss - Self.dec(2, -2), 15)
            case .v3_1:
                // v3.1 changed the modified-impact curve so a changed scope cannot exceed 10 too early.
                impact = Self.dec(752, -2) * (miss - Self.dec(29, -3))
                    - Self.dec(325, -2) * pow(miss * Self.dec(9731, -4) - Self.dec(2, -2), 13)
            }
        } else {
            impact = Self.dec(642, -2) * miss
        }
        let exploitability = Self.dec(822, -2) * Self.attackVector(effective("MAV"))
            * Self.attackComplexity(effective("MAC"))
            * Self.privileges(effective("MPR"), scopeChanged: scopeChanged) * Self.userInteraction(effective("MUI"))
        if impact <= 0 { return 0 }
        let modified = scopeChanged
            ? roundUp(min(Self.dec(108, -2) * (impact + exploitability), 10))
            : roundUp(min(impact + exploitability, 10))
        return roundUp(modified * temporalMultiplier())
    }

    /// The spec's Roundup: smallest one-decimal number >= input. v3.1 first rounds to five
    /// decimals so that float noise in other implementations cannot push 4.0 to 4.1; we do the same
    /// so every implementation agrees.
    private func roundUp(_ value: Decimal) -> Decimal {
        switch version {
        case .v3_0:
            return Self.round(value, scale: 1, mode: .up)
        case .v3_1:
            let scaled = Self.round(value * 100_000, scale: 0, mode: .plain)
            let tenths = Self.round(scaled / 10_000, scale: 0, mode: .down)
            if tenths * 10_000 == scaled { return scaled / 100_000 }
            return (tenths + 1) / 10
        }
    }

    // MARK: - Metric weights (CVSS v3.1 specification §7.4)

    private static func dec(_ significand: Int, _ exponent: Int) -> Decimal {
        Decimal(sign: .plus, exponent: exponent, significand: Decimal(significand))
    }

    private static func round(_ value: Decimal, scale: Int, mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, mode)
        return result
    }

    /// Converts a one-decimal Decimal to the nearest Double (so 4.6 compares equal to the literal 4.6).
    private static func double(_ value: Decimal) -> Double {
        let tenths = NSDecimalNumber(decimal: round(value * 10, scale: 0, mode: .plain)).intValue
        return Double(tenths) / 10
    }

    private static func impact(_ value: String?) -> Decimal {
        switch value {
        case "H": return dec(56, -2)
        case "L": return dec(22, -2)
        default: return 0
        }
    }

    private static func attackVector(_ value: String?) -> Decimal {
        switch value {
        case "N": return dec(85, -2)
        case "A": return dec(62, -2)
        case "L": return dec(55, -2)
        default: return dec(2, -1)
        }
    }

    private static func attackComplexity(_ value: String?) -> Decimal {
        value == "H" ? dec(44, -2) : dec(77, -2)
    }

    private static func privileges(_ value: String?, scopeChanged: Bool) -> Decimal {
        switch value {
        case "N": return dec(85, -2)
        case "L": return scopeChanged ? dec(68, -2) : dec(62, -2)
        default: return scopeChanged ? dec(5, -1) : dec(27, -2)
        }
    }

    private static func userInteraction(_ value: String?) -> Decimal {
        value == "R" ? dec(62, -2) : dec(85, -2)
    }

    private static func exploitMaturity(_ value: String?) -> Decimal {
        switch value {
        case "U": return dec(91, -2)
        case "P": return dec(94, -2)
        case "F": return dec(97, -2)
        default: return 1
        }
    }

    private static func remediationLevel(_ value: String?) -> Decimal {
        switch value {
        case "O": return dec(95, -2)
        case "T": return dec(96, -2)
        case "W": return dec(97, -2)
        default: return 1
        }
    }

    private static func reportConfidence(_ value: String?) -> Decimal {
        switch value {
        case "U": return dec(92, -2)
        case "R": return dec(96, -2)
        default: return 1
        }
    }

    private static func requirement(_ value: String?) -> Decimal {
        switch value {
        case "H": return dec(15, -1)
        case "L": return dec(5, -1)
        default: return 1
        }
    }
}
