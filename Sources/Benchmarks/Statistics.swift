// Statistics over scores: mean, standard error, Wilson and bootstrap intervals, clustered standard
// error, unbiased pass@k, and per-category breakdowns. Capability policies compare a bound, not the mean.
import Foundation
import Platform

public struct Interval: Sendable, Equatable, Hashable, Codable {
    public var low: Double
    public var high: Double
    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }
    public func contains(_ value: Double) -> Bool { value >= low && value <= high }
}

public struct SummaryStatistics: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double
    public var standardError: Double
    /// Wilson interval; for non-binary scores it is computed on the mean as if it were a proportion
    /// (reported for completeness; prefer `bootstrap` for graded scores).
    public var wilson: Interval
    public var bootstrap: Interval?
}

public enum Statistics {
    /// z for a two-sided 95% interval.
    public static let z95 = 1.959963984540054

    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// Sample standard deviation (n − 1) over √n, as Inspect's `stderr()` reports; 0 for n < 2.
    public static func standardError(_ values: [Double]) -> Double {
        let n = Double(values.count)
        guard values.count > 1 else { return 0 }
        let m = mean(values)
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        return (variance / n).squareRoot()
    }

    /// Wilson score interval for `successes` of `trials` (well-behaved near 0 and 1, unlike the
    /// normal approximation). Empty trials give [0, 1].
    public static func wilson(successes: Double, trials: Int, z: Double = z95) -> Interval {
        guard trials > 0 else { return Interval(low: 0, high: 1) }
        let n = Double(trials)
        let p = successes / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let halfWidth = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / denominator
        return Interval(low: max(0, centre - halfWidth), high: min(1, centre + halfWidth))
    }

    /// Percentile bootstrap interval of the mean: `resamples` resamples with replacement drawn from a
    /// seeded xoshiro256**; the interval is the (α/2, 1 − α/2) quantiles, linearly interpolated
    /// (the "type 7" rule) over the sorted resample means.
    public static func bootstrap(_ values: [Double], resamples: Int = 2000, confidence: Double = 0.95, seed: UInt64 = 0) -> Interval {
        guard !values.isEmpty, resamples > 0 else { return Interval(low: 0, high: 0) }
        var rng = Xoshiro256StarStar(seed: seed)
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var total = 0.0
            for _ in 0..<values.count { total += values[rng.nextIndex(below: values.count)] }
            means.append(total / Double(values.count))
        }
        means.sort()
        let alpha = 1 - confidence
        return Interval(low: quantile(sorted: means, alpha / 2), high: quantile(sorted: means, 1 - alpha / 2))
    }

    /// Type-7 quantile of sorted values: position q·(n − 1), interpolated between neighbours.
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        guard let first = sorted.first else { return 0 }
        guard sorted.count > 1 else { return first }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// Cluster-robust standard error of the mean when samples share a cluster (e.g. questions drawn
    /// from one source passage): SE = √( Σ_c (Σ_{i∈c} (x_i − x̄))² ) / n, the sandwich estimator
    /// without a small-sample correction (as in Miller, "Adding Error Bars to Evals", 2024). With
    /// one sample per cluster it equals the population SD over √n.
    public static func clusteredStandardError(_ values: [Double], clusters: [String]) -> Double {
        precondition(values.count == clusters.count, "one cluster label per value")
        guard !values.isEmpty else { return 0 }
        let m = mean(values)
        var sums: [String: Double] = [:]
        for (value, cluster) in zip(values, clusters) { sums[cluster, default: 0] += value - m }
        let total = sums.values.reduce(0) { $0 + $1 * $1 }
        return total.squareRoot() / Double(values.count)
    }

    /// Unbiased pass@k for one sample with `correct` successes in `attempts` epochs (Chen et al., 2021):
    /// 1 − C(n−c, k)/C(n, k), computed as a product to avoid huge binomials.
    public static func passAtK(attempts n: Int, correct c: Int, k: Int) -> Double {
        precondition(k >= 1 && k <= n && c >= 0 && c <= n, "need 1 ≤ k ≤ n and 0 ≤ c ≤ n")
        if c == 0 { return 0 }
        if n - c < k { return 1 }
        var failAll = 1.0
        for i in (n - c + 1)...n { failAll *= 1 - Double(k) / Double(i) }
        return 1 - failAll
    }

    /// Mean pass@k over samples; `scores[sampleID]` holds that sample's per-epoch scores and a score
    /// ≥ `threshold` counts as a success.
    public static func meanPassAtK(_ scores: [String: [Double]], k: Int, threshold: Double = 1) -> Double {
        guard !scores.isEmpty else { return 0 }
        let values = scores.values.map { epochs in
            passAtK(attempts: epochs.count, correct: epochs.filter { $0 >= threshold }.count, k: k)
        }
        return mean(values)
    }

    /// Mean, standard error, Wilson and (optionally) bootstrap interval in one go.
    public static func summarise(_ values: [Double], bootstrapResamples: Int? = 2000, seed: UInt64 = 0) -> SummaryStatistics {
        let m = mean(values)
        return SummaryStatistics(
            count: values.count, mean: m, standardError: standardError(values),
            wilson: wilson(successes: m * Double(values.count), trials: values.count),
            bootstrap: bootstrapResamples.map { bootstrap(values, resamples: $0, seed: seed) })
    }

    /// Summary per value of a metadata key (samples without the key go under "(none)"), sorted by key.
    public static func breakdown(_ items: [(metadata: [String: JSONValue], score: Double)], by key: String,
                                 bootstrapResamples: Int? = nil, seed: UInt64 = 0) -> [(category: String, summary: SummaryStatistics)] {
        var groups: [String: [Double]] = [:]
        for item in items {
            let label = item.metadata[key].flatMap { $0.scalarText } ?? "(none)"
            groups[label, default: []].append(item.score)
        }
        return groups.keys.sorted().map { label in
            (label, summarise(groups[label] ?? [], bootstrapResamples: bootstrapResamples, seed: seed))
        }
    }
}
