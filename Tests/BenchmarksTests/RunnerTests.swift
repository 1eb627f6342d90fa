// Pure parts of the runner and providers: model names, backoff with Retry-After, the summary's
// interval choice, and the Inspect export read back by our own importer.
import Foundation
import Platform
import Testing
@testable import Benchmarks

struct RunnerTests {
    @Test func modelNamesParseAndRejectUnknownProviders() throws {
        #expect(try ModelSpec.parse("openai:gpt-4o-mini") == ModelSpec(provider: .openai, model: "gpt-4o-mini"))
        #expect(try ModelSpec.parse("anthropic:claude:v2").model == "claude:v2")
        #expect(throws: BenchmarkError.self) { try ModelSpec.parse("gemini:x") }
        #expect(throws: BenchmarkError.self) { try ModelSpec.parse("openai:") }
    }

    @Test func backoffGrowsIsCappedAndNeverBeatsRetryAfter() {
        let options = RunOptions(initialBackoff: 1, maxBackoff: 8)
        #expect(options.backoff(afterAttempt: 1, retryAfter: nil, random: 1) == 1)
        #expect(options.backoff(afterAttempt: 3, retryAfter: nil, random: 1) == 4)
        #expect(options.backoff(afterAttempt: 10, retryAfter: nil, random: 1) == 8)
        #expect(options.backoff(afterAttempt: 2, retryAfter: nil, random: 0.5) == 1)
        #expect(options.backoff(afterAttempt: 1, retryAfter: 30, random: 0.1) == 30)
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() throws {
        #expect(ModelCallError.parseRetryAfter("7") == 7)
        #expect(ModelCallError.parseRetryAfter("soon") == nil)
        let date = try #require(ModelCallError.parseRetryAfter("Wed, 21 Oct 2099 07:28:00 GMT"))
        #expect(date > 1_000_000)
        #expect(ModelCallError.http(status: 429, retryAfter: nil, body: "").retryable)
        #expect(ModelCallError.http(status: 503, retryAfter: nil, body: "").retryable)
        #expect(!ModelCallError.http(status: 401, retryAfter: nil, body: "").retryable)
        #expect(!ModelCallError.malformed("x").retryable)
    }

    func record(_ id: String, _ value: Double?, error: String? = nil) -> SampleRecord {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        return SampleRecord(sampleID: id, epoch: 1, input: .text("q\(id)"), target: ["A"], output: "ANSWER: A",
                            score: value.map { Score(value: $0, answer: "A") }, timing: SampleTiming(started: now, completed: now),
                            usage: TokenUsage(inputTokens: 5, outputTokens: 1), error: error)
    }

    @Test func summaryExcludesErrorsFromTheScoreAndUsesWilsonForProportions() {
        let records = [record("1", 1), record("2", 0), record("3", 1), record("4", 0), record("5", nil, error: "HTTP 500")]
        let summary = RunSummary.of(records, runID: "r", total: 5, log: nil)
        #expect(summary.samples == 4 && summary.errors == 1 && summary.score == 0.5)
        #expect(summary.interval == "wilson")
        #expect(summary.ciLow == Statistics.wilson(successes: 2, trials: 4).low)
        let partial = RunSummary.of([record("1", 0.5), record("2", 1), record("3", 0.25)], runID: "r", total: 3, log: nil)
        #expect(partial.interval == "bootstrap" && partial.ciLow <= partial.score && partial.score <= partial.ciHigh)
    }

    @Test func inspectExportImportsBackWithTheSameScoresAndErrors() throws {
        let suite = Suite(name: "s", version: "2.0", datasets: [DatasetSpec(path: "/x.jsonl")], solver: SolverSpec(type: .multipleChoice),
                          scorer: ScorerSpec(type: .choice))
        let header = RunHeader(runID: "run-9", suite: "s", suiteVersion: "2.0", model: "openai:m", generation: GenerationSettings(temperature: 0.5),
                               created: Date(timeIntervalSince1970: 1_800_000_000), suiteSpec: suite)
        let records = [record("2", 1), record("1", 0), record("3", nil, error: "HTTP 503")]
        let contents = RunLog.Contents(header: header, records: records, footer: nil, truncatedTail: false, validLength: 0,
                                       missingFinalNewline: false, duplicates: 0)
        let data = try InspectLog.export(contents)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["version"] as? Int == 2)
        let samples = try #require(root["samples"] as? [[String: Any]])
        #expect(samples.map { $0["id"] as? String } == ["1", "2", "3"])
        #expect((samples[1]["scores"] as? [String: [String: Any]])?["choice"]?["value"] as? String == "C")
        let back = try InspectLog.import(data)
        #expect(back.header.model == "openai:m" && back.header.suiteVersion == "2.0" && back.header.generation.temperature == 0.5)
        let original = RunSummary.of(records, runID: "r", total: 3, log: nil)
        let imported = RunSummary.of(back.records, runID: "r", total: 3, log: nil)
        #expect(imported.score == original.score && imported.samples == 2 && imported.errors == 1)
    }
}

struct EpochSummaryTests {
    func record(_ id: String, epoch: Int, _ score: Double?, error: String? = nil) -> SampleRecord {
        SampleRecord(sampleID: id, epoch: epoch, input: .text("q\(id)"), target: ["A"], score: score.map { Score(value: $0) },
                     timing: SampleTiming(started: Date(timeIntervalSince1970: 0), completed: Date(timeIntervalSince1970: 1)), error: error)
    }

    @Test func severalEpochsClusterTheIntervalBySampleAndReportPassAtK() throws {
        // a: 1 1, b: 0 0, c: 1 0, d: 1 1; an errored epoch of e is left out.
        let records = [record("a", epoch: 1, 1), record("a", epoch: 2, 1), record("b", epoch: 1, 0), record("b", epoch: 2, 0),
                       record("c", epoch: 1, 1), record("c", epoch: 2, 0), record("d", epoch: 1, 1), record("d", epoch: 2, 1),
                       record("e", epoch: 1, nil, error: "HTTP 500")]
        let s = RunSummary.of(records, runID: "r", total: 10, log: nil)
        #expect(s.interval == "clustered" && s.samples == 8 && s.errors == 1 && s.score == 0.625)
        // Σ_c (Σ deviations)² = 0.75² + 1.25² + 0.25² + 0.75² = 2.75; SE = √2.75 / 8.
        #expect(abs(s.stderr - 2.75.squareRoot() / 8) < 1e-12)
        #expect(abs(s.ciLow - (0.625 - Statistics.z95 * s.stderr)) < 1e-12 && s.ciHigh == 1)
        // Treating the 8 trials as independent would give a narrower interval than the clustered one.
        let naive = Statistics.wilson(successes: 5, trials: 8)
        #expect(naive.low > s.ciLow)
        #expect(s.passAtK == ["1": 0.625, "2": 0.75])
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(json.contains("\"pass_at_k\"") && json.contains("\"interval\":\"clustered\""))

        let single = RunSummary.of([record("a", epoch: 1, 1), record("b", epoch: 1, 0)], runID: "r", total: 2, log: nil)
        #expect(single.interval == "wilson" && single.passAtK == nil)
        #expect(!String(decoding: try JSONEncoder().encode(single), as: UTF8.self).contains("pass_at_k"))
    }
}

struct RunStatisticsTests {
    func record(_ id: String, epoch: Int, _ score: Double?, topic: String? = nil, category: String? = nil, error: String? = nil) -> SampleRecord {
        var metadata: [String: JSONValue] = [:]
        if let topic { metadata["topic"] = .string(topic) }
        if let category { metadata["category"] = .string(category) }
        return SampleRecord(sampleID: id, epoch: epoch, input: .text("q\(id)"), target: ["A"], score: score.map { Score(value: $0) },
                            timing: SampleTiming(started: Date(timeIntervalSince1970: 0), completed: Date(timeIntervalSince1970: 1)),
                            error: error, metadata: metadata)
    }

    @Test func passAtKForEveryKClusteredErrorsAndBreakdownsByCategory() throws {
        // Three epochs. a: 1 0 0 (web), b: 0 0 0 (web), c: 1 1 1 (pwn), d: 0 1 and an errored epoch (pwn).
        let records = [
            record("a", epoch: 1, 1, topic: "t1", category: "web"), record("a", epoch: 2, 0, topic: "t1", category: "web"),
            record("a", epoch: 3, 0, topic: "t1", category: "web"),
            record("b", epoch: 1, 0, topic: "t1", category: "web"), record("b", epoch: 2, 0, topic: "t1", category: "web"),
            record("b", epoch: 3, 0, topic: "t1", category: "web"),
            record("c", epoch: 1, 1, topic: "t2", category: "pwn"), record("c", epoch: 2, 1, topic: "t2", category: "pwn"),
            record("c", epoch: 3, 1, topic: "t2", category: "pwn"),
            record("d", epoch: 1, 0, category: "pwn"), record("d", epoch: 2, 1, category: "pwn"),
            record("d", epoch: 3, nil, category: "pwn", error: "HTTP 503"),
        ]
        let suite = Suite(name: "s", version: "1", datasets: [DatasetSpec(path: "x")], solver: SolverSpec(type: .generate), scorer: ScorerSpec(type: .exact), epochs: 3,
                          metrics: [MetricSpec(kind: .clusteredStderr, key: "topic"), MetricSpec(kind: .breakdown, key: "topic")])
        let stats = RunStatistics.of(records, suite: suite)
        #expect(stats.interval == "clustered" && stats.epochs == 3)
        // pass@1 over a, b, c, d = (1/3 + 0 + 1 + 1/2) / 4; pass@2 over the same four; pass@3 only over a, b, c (d has 2 scored epochs).
        #expect(stats.passAtK.map(\.k) == [1, 2, 3] && stats.passAtK.map(\.samples) == [4, 4, 3])
        #expect(abs(stats.passAtK[0].value - (1.0 / 3 + 0 + 1 + 0.5) / 4) < 1e-12)
        #expect(abs(stats.passAtK[1].value - (2.0 / 3 + 0 + 1 + 1) / 4) < 1e-12)
        #expect(abs(stats.passAtK[2].value - 2.0 / 3) < 1e-12)
        // The same figures the CLI summary prints.
        let summary = RunSummary.of(records, runID: "r", total: 12, log: nil)
        #expect(summary.passAtK == Dictionary(uniqueKeysWithValues: stats.passAtK.map { (String($0.k), $0.value) }))
        #expect(stats.stderr == summary.stderr)

        // Clustered by sample over epochs, then by topic: d has no topic and is a cluster of its own.
        #expect(stats.clustered.map(\.key) == ["sample_id", "topic"] && stats.clustered.map(\.clusters) == [4, 3])
        let scores = records.compactMap { $0.error == nil ? $0.score?.value : nil }
        let topics = ["t1", "t1", "t1", "t1", "t1", "t1", "t2", "t2", "t2", "#d", "#d"]
        #expect(abs(stats.clustered[1].stderr - Statistics.clusteredStandardError(scores, clusters: topics)) < 1e-12)
        #expect(stats.clustered.allSatisfy { $0.ciLow >= 0 && $0.ciHigh <= 1 && $0.ciLow < $0.ciHigh })

        // The suite's breakdown key, then `category` because samples carry it; errors counted per category.
        #expect(stats.breakdowns.map(\.key) == ["topic", "category"])
        let category = try #require(stats.breakdowns.last).categories
        #expect(category.map(\.category) == ["pwn", "web"])
        #expect(category.map(\.samples) == [5, 6] && category.map(\.errors) == [1, 0])
        #expect(category[0].score == 0.8 && abs(category[1].score - 1.0 / 6) < 1e-12)
        #expect(category.allSatisfy { $0.interval == "clustered" && $0.ciLow <= $0.score && $0.score <= $0.ciHigh })
        #expect(try #require(stats.breakdowns.first).categories.map(\.category) == ["(none)", "t1", "t2"])

        // Stored as JSON and read back unchanged.
        #expect(try RunStatistics.decode(json: try stats.json()) == stats)
    }

    @Test func oneEpochHasNoPassAtKAndNoClusteringBySample() {
        let records = (0..<10).map { record(String($0), epoch: 1, $0 < 3 ? 1 : 0) }
        let stats = RunStatistics.of(records, suite: Suite(name: "s", version: "1", datasets: [DatasetSpec(path: "x")], solver: SolverSpec(type: .generate), scorer: ScorerSpec(type: .exact)))
        #expect(stats.interval == "wilson" && stats.epochs == 1)
        #expect(stats.passAtK.isEmpty && stats.clustered.isEmpty && stats.breakdowns.isEmpty)
    }
}
