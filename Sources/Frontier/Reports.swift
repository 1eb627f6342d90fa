// Output formats the command line prints: `assess` verdicts and `compute estimate` results, as
// JSON for scripts (the shapes the issue fixes as interfaces) and as plain-text tables for people.

import Foundation

public enum FrontierReport {
    private struct VerdictsDocument: Encodable {
        struct Entry: Encodable {
            let policy: String
            let version: String
            let verdict: String
            let explanation: String
        }
        let verdicts: [Entry]
    }

    private struct EstimateDocument: Encodable {
        let flop: Double
        let low: Double
        let high: Double
        let method: String
        let basis: String
    }

    /// `{"verdicts": [{"policy", "verdict", "explanation", "version"}, …]}`, keys sorted so the
    /// output is stable for scripts and diffs.
    public static func assessJSON(_ verdicts: [PolicyVerdict]) throws -> Data {
        let doc = VerdictsDocument(verdicts: verdicts.map {
            .init(policy: $0.policyID, version: $0.policyVersion, verdict: $0.verdict.rawValue, explanation: $0.explanation)
        })
        return try encoder().encode(doc)
    }

    /// `{"flop", "low", "high", "method", "basis"}`.
    public static func estimateJSON(_ estimate: ComputeEstimate) throws -> Data {
        try encoder().encode(EstimateDocument(
            flop: estimate.interval.central, low: estimate.interval.low, high: estimate.interval.high,
            method: estimate.method.rawValue, basis: estimate.basis))
    }

    /// A table of verdicts followed by each policy's explanation.
    public static func assessTable(_ verdicts: [PolicyVerdict], modelName: String) -> String {
        var out = "Model: \(modelName)\n"
        out += "These verdicts are information for the developer and reviewers; none of them blocks or delays a release.\n\n"
        let rows = verdicts.map { v -> [String] in
            let compute = v.countedCompute.map { c in
                c.isExact ? FrontierNumber.scientific(c.central)
                    : "\(FrontierNumber.scientific(c.central)) [\(FrontierNumber.scientific(c.low)), \(FrontierNumber.scientific(c.high))]"
            } ?? "n/a"
            return [v.policyID, v.policyVersion, v.verdict.rawValue, compute]
        }
        out += table(header: ["POLICY", "VERSION", "VERDICT", "COUNTED FLOP [LOW, HIGH]"], rows: rows)
        for v in verdicts {
            out += "\n\(v.policyID): \(v.verdict.rawValue)\n"
            out += v.explanation.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n") + "\n"
        }
        return out
    }

    public static func estimateTable(_ estimate: ComputeEstimate) -> String {
        table(header: ["", "FLOP"], rows: [
            ["low", FrontierNumber.scientific(estimate.interval.low)],
            ["central", FrontierNumber.scientific(estimate.interval.central)],
            ["high", FrontierNumber.scientific(estimate.interval.high)],
        ]) + "method: \(estimate.method.rawValue)\nbasis:  \(estimate.basis)\n"
    }

    /// Left-aligned columns separated by two spaces; padding counts characters, not bytes.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    private static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
