// The one entry point the server and the CLI (`clearinghouse cvss VECTOR --json`) call to score a
// CVSS vector of any supported version, and the result it returns.

import Foundation

/// The score of one CVSS vector. `score` is the most specific score the vector supports (v3.x:
/// environmental, else temporal, else base; v4.0: the single CVSS-B/BT/BE/BTE score).
public struct CVSSScore: Sendable, Equatable, Codable {
    public let score: Double
    /// "None", "Low", "Medium", "High" or "Critical".
    public let severity: String
    /// "3.0", "3.1" or "4.0".
    public let version: String
    /// The vector in specification order, without undefined (`X`) metrics.
    public let vector: String
    /// v3.x only: the three scores separately.
    public let baseScore: Double?
    public let temporalScore: Double?
    public let environmentalScore: Double?
    /// v4.0 only: the MacroVector (EQ1..EQ6) and which groups the score covers (e.g. "CVSS-BT").
    public let macroVector: String?
    public let nomenclature: String?
}

/// Namespace for scoring CVSS vectors of any supported version.
public enum CVSS {
    /// Scores `vector` (`CVSS:3.0/…`, `CVSS:3.1/…` or `CVSS:4.0/…`). v4.0 vectors need the
    /// MacroVector tables; the built-in copy is the default, a folder-loaded copy may be passed.
    public static func score(vector: String, tables: CVSS40Tables = .builtin) throws -> CVSSScore {
        try score(parsing: vector, tables: tables)
    }

    /// The same, with the error type spelled out for callers that switch over it.
    public static func score(parsing vector: String, tables: CVSS40Tables) throws(CVSSError) -> CVSSScore {
        let trimmed = vector.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("CVSS:4.0/") {
            let parsed = try CVSS40Vector(parsing: trimmed)
            let value = try parsed.score(tables: tables)
            return CVSSScore(
                score: value, severity: CVSSSeverity(score: value).rawValue, version: "4.0",
                vector: parsed.vectorString, baseScore: nil, temporalScore: nil, environmentalScore: nil,
                macroVector: parsed.macroVector, nomenclature: parsed.nomenclature)
        }
        if trimmed.hasPrefix("CVSS:3.") || trimmed.isEmpty {
            let parsed = try CVSS31Vector(parsing: trimmed)
            let scores = parsed.scores()
            return CVSSScore(
                score: scores.overall, severity: CVSSSeverity(score: scores.overall).rawValue,
                version: parsed.version.rawValue, vector: parsed.vectorString,
                baseScore: scores.base,
                temporalScore: scores.definesTemporal || scores.definesEnvironmental ? scores.temporal : nil,
                environmentalScore: scores.definesEnvironmental ? scores.environmental : nil,
                macroVector: nil, nomenclature: nil)
        }
        throw .badPrefix(found: String(trimmed.prefix(9)))
    }
}
