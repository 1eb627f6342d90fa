// Statistics against values worked out by hand (arithmetic written next to each expectation).
import Foundation
import Platform
import Testing
@testable import Benchmarks

struct StatisticsTests {
    @Test func meanAndStandardError() {
        // [1,0,1,1,0]: mean 3/5 = 0.6; deviations ±: 0.4,-0.6,0.4,0.4,-0.6; squares sum
        // 3·0.16 + 2·0.36 = 1.2; sample variance 1.2/4 = 0.3; SE = √(0.3/5) = √0.06 = 0.2449490.
        let values: [Double] = [1, 0, 1, 1, 0]
        #expect(Statistics.mean(values) == 0.6)
        #expect(abs(Statistics.standardError(values) - 0.06.squareRoot()) < 1e-12)
        #expect(Statistics.standardError([1]) == 0)
    }

    @Test func wilsonInterval() {
        // 3 of 5, z = 1.959964, z² = 3.841459: denominator 1 + z²/5 = 1.768292;
        // centre (0.6 + z²/10)/1.768292 = 0.984146/1.768292 = 0.556552;
        // half-width z·√(0.6·0.4/5 + z²/100)/1.768292 = 1.959964·√0.086415/1.768292 = 0.325828;
        // interval [0.230724, 0.882379].
        let interval = Statistics.wilson(successes: 3, trials: 5)
        #expect(abs(interval.low - 0.230724) < 1e-5)
        #expect(abs(interval.high - 0.882379) < 1e-5)
        // 0 of 10: centre = half-width = (z²/20)/(1 + z²/10) = 0.192073/1.384146 = 0.138766,
        // so [0, 0.277533]: never negative, and not the degenerate [0, 0] of the normal approximation.
        let zero = Statistics.wilson(successes: 0, trials: 10)
        #expect(zero.low == 0)
        #expect(abs(zero.high - 0.277533) < 1e-5)
        // A fixed-letter answerer on a 4-choice cycle scores 25/100: the interval must contain 0.25.
        #expect(Statistics.wilson(successes: 25, trials: 100).contains(0.25))
    }

    @Test func quantileInterpolatesLinearly() {
        // Type 7: position q·(n−1) = 0.25·3 = 0.75 → 1 + 0.75·(2 − 1) = 1.75.
        #expect(Statistics.quantile(sorted: [1, 2, 3, 4], 0.25) == 1.75)
        #expect(Statistics.quantile(sorted: [1, 2, 3, 4], 1) == 4)
    }

    @Test func bootstrapIsSeededAndSensible() {
        let values = (0..<100).map { Double($0 % 2) }  // mean 0.5
        let a = Statistics.bootstrap(values, resamples: 1000, seed: 7)
        let b = Statistics.bootstrap(values, resamples: 1000, seed: 7)
        let c = Statistics.bootstrap(values, resamples: 1000, seed: 8)
        #expect(a == b)
        #expect(a != c)
        #expect(a.contains(0.5))
        // The normal-theory 95% half-width is 1.96·√(0.25/100) = 0.098; the bootstrap should agree roughly.
        #expect(abs((a.high - a.low) / 2 - 0.098) < 0.02)
        // No spread, no interval width.
        let flat = Statistics.bootstrap([0.7, 0.7, 0.7], seed: 1)
        #expect(abs(flat.low - 0.7) < 1e-12 && abs(flat.high - 0.7) < 1e-12)
    }

    @Test func clusteredStandardError() {
        // [1,1,0,0] in clusters a,a,b,b: mean 0.5; cluster sums of deviations a: +1, b: −1;
        // SE = √(1² + 1²)/4 = 0.353553, larger than the unclustered √((1/3)/4) = 0.288675
        // because the clusters are perfectly correlated inside.
        let values: [Double] = [1, 1, 0, 0]
        let clustered = Statistics.clusteredStandardError(values, clusters: ["a", "a", "b", "b"])
        #expect(abs(clustered - 2.0.squareRoot() / 4) < 1e-12)
        #expect(clustered > Statistics.standardError(values))
        // Mixed clusters cancel: a = {1, 0}, b = {1, 0} → sums 0 and 0 → SE 0.
        #expect(Statistics.clusteredStandardError(values, clusters: ["a", "b", "a", "b"]) == 0)
    }

    @Test func passAtK() {
        // n=5, c=2, k=2: 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7.
        #expect(abs(Statistics.passAtK(attempts: 5, correct: 2, k: 2) - 0.7) < 1e-12)
        // n=4, c=1, k=1: 1 − C(3,1)/C(4,1) = 1/4.
        #expect(abs(Statistics.passAtK(attempts: 4, correct: 1, k: 1) - 0.25) < 1e-12)
        #expect(Statistics.passAtK(attempts: 3, correct: 0, k: 1) == 0)
        // n − c = 1 < k = 2: every 2-subset contains a success.
        #expect(Statistics.passAtK(attempts: 4, correct: 3, k: 2) == 1)
        // Mean over samples: (0.7 + 0)/2 with scores ≥ 1 counted as successes.
        let perSample: [String: [Double]] = ["q1": [1, 0, 1, 0, 0], "q2": [0, 0.5, 0, 0, 0]]
        #expect(abs(Statistics.meanPassAtK(perSample, k: 2) - 0.35) < 1e-12)
    }

    @Test func breakdownByCategory() {
        let items: [(metadata: [String: JSONValue], score: Double)] = [
            (["category": .string("web")], 1), (["category": .string("web")], 0),
            (["category": .string("pwn")], 1), ([:], 0),
        ]
        let groups = Statistics.breakdown(items, by: "category")
        #expect(groups.map(\.category) == ["(none)", "pwn", "web"])
        #expect(groups.map(\.summary.mean) == [0, 1, 0.5])
        #expect(groups.map(\.summary.count) == [1, 1, 2])
    }
}
