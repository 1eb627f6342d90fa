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
