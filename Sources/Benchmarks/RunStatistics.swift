// The statistics a finished run keeps beside its score and interval, so the run page and the API
// show them without re-reading every sample: the interval's kind and standard error, pass@k for
// every k from 1 to the epochs run, standard errors clustered by sample (over epochs) and by each
// metadata key the suite names, and the score per category of each breakdown key.
import Foundation
import Platform

public struct RunStatistics: Sendable, Equatable, Codable {
    /// How the run's 95% interval was computed: `wilson`, `bootstrap` or `clustered` (see `RunSummary.of`).
    public var interval: String
    public var stderr: Double
    /// The most epochs any sample was scored in.
    public var epochs: Int
    /// pass@k for k = 1 … `epochs`, only when some sample was scored more than once.
    public var passAtK: [PassAtK]
    public var clustered: [ClusteredError]
    public var breakdowns: [Breakdown]

    public struct PassAtK: Sendable, Equatable, Codable {
        public var k: Int
        public var value: Double
        /// Samples scored at least k times (the ones pass@k is averaged over).
        public var samples: Int
    }

    /// The standard error of the run's mean clustered by `key` (`sample_id`: the epochs of one sample;
    /// otherwise a metadata key, a sample without it being a cluster of its own), and the normal
    /// 95% interval it gives.
    public struct ClusteredError: Sendable, Equatable, Codable {
        public var key: String
        public var clusters: Int
        public var stderr: Double
        public var ciLow: Double
        public var ciHigh: Double

        enum CodingKeys: String, CodingKey {
            case key, clusters, stderr
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
        }
    }

    /// The run summarised separately for each value of one metadata key (`(none)` for samples without it).
    public struct Breakdown: Sendable, Equatable, Codable {
        public var key: String
        public var categories: [Category]
    }

    public struct Category: Sendable, Equatable, Codable {
        public var category: String
        public var samples: Int
        public var errors: Int
        public var score: Double
        public var ciLow: Double
        public var ciHigh: Double
        public var interval: String

        enum CodingKeys: String, CodingKey {
            case category, samples, errors, score, interval
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
        }
    }

    enum CodingKeys: String, CodingKey {
        case interval, stderr, epochs, clustered, breakdowns
        case passAtK = "pass_at_k"
    }

    /// The key a breakdown uses when the suite names none but the samples carry it (Cybench and
    /// most CTF sets label each challenge with a category).
    public static let defaultBreakdownKey = "category"

    /// Computes the statistics of the records in force (errors out of the scores, counted per category).
    /// Breakdowns: every `breakdown` metric of the suite, plus `category` when samples carry it;
    /// clustered errors: by sample id when some sample has several epochs, plus every
    /// `clustered_stderr` metric of the suite.
    public static func of(_ records: [SampleRecord], suite: Suite) -> RunStatistics {
        let summary = RunSummary.of(records, runID: "", total: records.count, log: nil)
        let kept = records.filter { $0.error == nil && $0.score != nil }
        let scores = kept.map { $0.score!.value }
        var bySample: [String: [Double]] = [:]
        for r in kept { bySample[r.sampleID, default: []].append(r.score!.value) }
        let epochs = bySample.values.map(\.count).max() ?? 0

        var passAtK: [PassAtK] = []
        if epochs > 1 {
            for k in 1...epochs {
                let eligible = bySample.filter { $0.value.count >= k }
                passAtK.append(PassAtK(k: k, value: Statistics.meanPassAtK(eligible, k: k), samples: eligible.count))
            }
        }

        let unit = scores.allSatisfy { $0 >= 0 && $0 <= 1 }
        func clustered(_ key: String, labels: [String]) -> ClusteredError {
            let se = Statistics.clusteredStandardError(scores, clusters: labels)
            let mean = Statistics.mean(scores)
            let low = mean - Statistics.z95 * se, high = mean + Statistics.z95 * se
            return ClusteredError(key: key, clusters: Set(labels).count, stderr: se,
                                  ciLow: unit ? max(0, low) : low, ciHigh: unit ? min(1, high) : high)
        }
        var clusteredErrors: [ClusteredError] = []
        if epochs > 1 { clusteredErrors.append(clustered("sample_id", labels: kept.map(\.sampleID))) }
        for key in orderedKeys(suite.metrics.filter { $0.kind == .clusteredStderr }.compactMap(\.key)) where !kept.isEmpty {
            clusteredErrors.append(clustered(key, labels: kept.map { $0.metadata[key]?.scalarText.map { "=" + $0 } ?? "#" + $0.sampleID }))
        }

        var breakdownKeys = suite.metrics.filter { $0.kind == .breakdown }.compactMap(\.key)
        if records.contains(where: { $0.metadata[defaultBreakdownKey] != nil }) { breakdownKeys.append(defaultBreakdownKey) }
        let breakdowns = orderedKeys(breakdownKeys).map { key in
            var groups: [String: [SampleRecord]] = [:]
            for r in records { groups[r.metadata[key]?.scalarText ?? "(none)", default: []].append(r) }
            return Breakdown(key: key, categories: groups.keys.sorted().map { name in
                let s = RunSummary.of(groups[name] ?? [], runID: "", total: 0, log: nil)
                return Category(category: name, samples: s.samples, errors: s.errors, score: s.score, ciLow: s.ciLow, ciHigh: s.ciHigh,
                                interval: s.interval)
            })
        }
        return RunStatistics(interval: summary.interval, stderr: summary.stderr, epochs: epochs, passAtK: passAtK,
                             clustered: clusteredErrors, breakdowns: breakdowns)
    }

    /// First occurrence of each key, in order.
    static func orderedKeys(_ keys: [String]) -> [String] {
        var seen: Set<String> = []
        return keys.filter { seen.insert($0).inserted }
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(json: String) throws -> RunStatistics {
        try JSONDecoder().decode(RunStatistics.self, from: Data(json.utf8))
    }
}
