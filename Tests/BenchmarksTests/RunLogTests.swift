// The JSONL run log: round trip, crash-truncated tail, resume keys, error retry, no double counting.
import Foundation
import Platform
import Testing
@testable import Benchmarks

struct RunLogTests {
    let created = Date(timeIntervalSince1970: 1_800_000_000.25)

    func header() -> RunHeader {
        RunHeader(runID: "run-1", suite: "fixture-mc", suiteVersion: "1.2.0", model: "openai:gpt-test",
                  generation: GenerationSettings(temperature: 0, maxTokens: 16, seed: 3, systemMessage: nil),
                  epochs: 2, shuffleSeed: 42, created: created)
    }

    func record(_ id: String, epoch: Int, score: Double?, error: String? = nil) -> SampleRecord {
        SampleRecord(sampleID: id, epoch: epoch, input: .text("q \(id)"), target: ["A"], output: score == nil ? nil : "ANSWER: A",
                     score: score.map { Score(value: $0, answer: "A") }, request: #"{"model":"gpt-test"}"#, response: #"{"choices":[]}"#,
                     timing: SampleTiming(started: created, completed: created.addingTimeInterval(0.5), attempts: error == nil ? 1 : 4),
                     usage: TokenUsage(inputTokens: 12, outputTokens: 3), error: error)
    }

    func log(_ lines: [RunLogLine]) throws -> Data {
        try lines.reduce(into: Data()) { $0.append(try RunLog.encodeLine($1)) }
    }

    @Test func roundTrip() throws {
        let footer = RunFooter(completed: created, samples: 2, errors: 0, score: 0.5, ciLow: 0.1, ciHigh: 0.9)
        let data = try log([.header(header()), .sample(record("a", epoch: 1, score: 1)), .sample(record("b", epoch: 1, score: 0)), .footer(footer)])
        let contents = try RunLog.read(data)
        #expect(contents.header == header())
        #expect(contents.records == [record("a", epoch: 1, score: 1), record("b", epoch: 1, score: 0)])
        #expect(contents.footer == footer)
        #expect(!contents.truncatedTail && contents.validLength == data.count)
        // Each record is one line.
        #expect(String(decoding: data, as: UTF8.self).split(separator: "\n").count == 4)
        #expect(String(decoding: data, as: UTF8.self).contains(#""suite_version":"1.2.0""#))
    }

    @Test func truncatedLastLineIsDroppedAndResumeSkipsFinishedWork() throws {
        var data = try log([.header(header()), .sample(record("a", epoch: 1, score: 1)), .sample(record("a", epoch: 2, score: 0))])
        let intact = data.count
        let partial = try RunLog.encodeLine(.sample(record("b", epoch: 1, score: 1)))
        data.append(partial.prefix(partial.count / 2))  // SIGKILL mid-write
        let contents = try RunLog.read(data)
        #expect(contents.truncatedTail)
        #expect(contents.validLength == intact)
        #expect(contents.finishedKeys() == [SampleKey(sampleID: "a", epoch: 1), SampleKey(sampleID: "a", epoch: 2)])
        // After truncating to validLength and appending, the log reads cleanly with b included.
        var repaired = data.prefix(contents.validLength)
        repaired.append(partial)
        let resumed = try RunLog.read(repaired)
        #expect(!resumed.truncatedTail)
        #expect(resumed.records.count == 3)
    }

    @Test func corruptMiddleLineIsAnErrorWithItsLineNumber() throws {
        var data = try log([.header(header())])
        data.append(Data("{not json\n".utf8))
        data.append(try RunLog.encodeLine(.sample(record("a", epoch: 1, score: 1))))
        #expect(throws: BenchmarkError.self) { try RunLog.read(data) }
        do { _ = try RunLog.read(data) } catch { #expect("\(error)".hasPrefix("line 2")) }
    }

    @Test func erroredSamplesAreRetriedAndNeverDoubleCounted() throws {
        let data = try log([
            .header(header()),
            .sample(record("a", epoch: 1, score: nil, error: "HTTP 503 after 4 attempts")),
            .sample(record("b", epoch: 1, score: 1)),
            .sample(record("a", epoch: 1, score: 0)),  // resumed run retried a
            .sample(record("b", epoch: 1, score: 0)),  // duplicate of finished b: ignored
        ])
        let contents = try RunLog.read(data)
        #expect(contents.records.count == 2)
        #expect(contents.records.first { $0.sampleID == "a" }?.score?.value == 0)
        #expect(contents.records.first { $0.sampleID == "b" }?.score?.value == 1)
        #expect(contents.duplicates == 1)

        let onlyError = try RunLog.read(try log([.header(header()), .sample(record("a", epoch: 1, score: nil, error: "timeout"))]))
        #expect(onlyError.finishedKeys().isEmpty)
        #expect(onlyError.finishedKeys(includingErrors: true) == [SampleKey(sampleID: "a", epoch: 1)])
    }

    @Test func sampleBeforeHeaderIsRejected() throws {
        let data = try log([.sample(record("a", epoch: 1, score: 1))])
        #expect(throws: BenchmarkError.invalidInput(location: "line 1", reason: "sample before the header")) { try RunLog.read(data) }
    }
}
