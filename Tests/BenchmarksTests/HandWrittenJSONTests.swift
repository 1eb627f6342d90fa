// The hand-written JSON of the per-sample hot path (log lines, request bodies, reply parsing) against
// what JSONEncoder / JSONDecoder produce for the same values: same bytes, same readings.
import Foundation
import Platform
import Testing
@testable import Benchmarks

struct HandWrittenJSONTests {
    static let awkward = "quote \" backslash \\ slash / tab \t newline \n cr \r bell \u{07} esc \u{1B} nul \u{00} vt \u{0B} ff \u{0C} bs \u{08} "
        + "unit \u{1F} del \u{7F} é ✓ \u{2028} 😀"

    static func records() -> [SampleRecord] {
        let start = Date(timeIntervalSince1970: 1_795_838_000.123_456)
        var result: [SampleRecord] = [
            SampleRecord(sampleID: "1", epoch: 1, input: .text("Question 1: which?"), target: ["A"], output: "ANSWER: A",
                         score: Score(value: 1, answer: "A"), request: #"{"model":"bench","messages":[{"role":"user","content":"x"}]}"#,
                         response: #"{"choices":[{"message":{"content":"ANSWER: A"}}]}"#,
                         timing: SampleTiming(started: start, completed: start.addingTimeInterval(0.0507), attempts: 1),
                         usage: TokenUsage(inputTokens: 40, outputTokens: 2), metadata: [:]),
            // An error record: no output, score, request, response or usage.
            SampleRecord(sampleID: "err", epoch: 3, input: .text(""), target: [],
                         timing: SampleTiming(started: start, completed: start.addingTimeInterval(61.9996), attempts: 11),
                         error: "after 11 attempt(s): HTTP 503: injected fault"),
            SampleRecord(sampleID: awkward, epoch: 12, input: .messages([ChatMessage(role: "system", content: awkward), ChatMessage(role: "user", content: "q")]),
                         target: ["A", awkward, ""], output: awkward,
                         score: Score(value: 0.333_333_333_333_333_3, answer: nil, explanation: awkward), request: awkward, response: "",
                         timing: SampleTiming(started: Date(timeIntervalSince1970: 0), completed: Date(timeIntervalSince1970: 86_399.9995), attempts: 2),
                         usage: TokenUsage(inputTokens: 0, outputTokens: Int.max),
                         metadata: ["category": "web", "B": 1, "a10": 2.5, "a2": .null, "_x": true, "Z": [1, "two", ["k": -0.0]],
                                    "é": ["nested": ["z": 1e-7, "y": 1e16, "x": 2.5e15, "w": 0.1]], awkward: .bool(false)]),
        ]
        for i in 0..<200 {
            let t = Date(timeIntervalSince1970: Double.random(in: 1.7e9...1.9e9))
            result.append(SampleRecord(sampleID: String(i), epoch: i % 5 + 1, input: .text("q\(i)"), target: ["ABCD".map(String.init)[i % 4]],
                                       output: "ANSWER: B", score: Score(value: Double(i % 7) / 7, answer: "B", explanation: i % 2 == 0 ? nil : "why"),
                                       timing: SampleTiming(started: t, completed: t.addingTimeInterval(Double.random(in: 0...3)), attempts: 1 + i % 3)))
        }
        return result
    }

    @Test func sampleLinesAreTheEncodersBytesAndReadBack() throws {
        for record in Self.records() {
            var expected = try RunLog.lineEncoder.encode(RunLogLine.sample(record))
            expected.append(UInt8(ascii: "\n"))
            let written = try RunLog.encodeLine(.sample(record))
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            let parsed = try RunLog.decoder().decode(RunLogLine.self, from: written.dropLast())
            guard case .sample(let back) = parsed else { Issue.record("not a sample line"); continue }
            // Timestamps are kept to the millisecond in the log; numbers such as -0.0 or 2.5e15 read
            // back as integers (the encoder's own round trip), so only lines without metadata are re-encoded.
            #expect(back.sampleID == record.sampleID && back.input == record.input && back.score == record.score
                && back.output == record.output && back.error == record.error && back.target == record.target
                && back.usage == record.usage && back.request == record.request && back.timing.attempts == record.timing.attempts)
            if record.metadata.isEmpty { #expect(try RunLog.encodeLine(.sample(back)) == written) }
            // Rounding to the nearest millisecond moves a time by at most half of one; the microsecond
            // on top is the spacing of Doubles near 1.8e9 s, which the subtraction itself can lose.
            #expect(abs(back.timing.started.timeIntervalSince(record.timing.started)) <= 0.0005 + 1e-6)
        }
    }

    @Test func aNonFiniteScoreIsRefusedLikeTheEncoderRefusesIt() {
        let record = SampleRecord(sampleID: "n", epoch: 1, input: .text("q"), score: Score(value: .nan),
                                  timing: SampleTiming(started: Date(), completed: Date()))
        #expect(throws: (any Error).self) { try RunLog.encodeLine(.sample(record)) }
    }

    @Test(arguments: [ProviderKind.openai, .anthropic])
    func requestBodiesAreTheEncodersBytes(kind: ProviderKind) async throws {
        try await HTTPModelProvider.with(spec: ModelSpec(provider: kind, model: "m/" + Self.awkward), baseURL: "http://127.0.0.1:1/v1",
                                         apiKey: nil, maxConnections: 1) { provider in try Self.compareRequestBodies(provider) }
    }

    static func compareRequestBodies(_ provider: HTTPModelProvider) throws {
        let conversations: [[ChatMessage]] = [
            [ChatMessage(role: "user", content: "Question 1: which?")],
            [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: Self.awkward),
             ChatMessage(role: "assistant", content: ""), ChatMessage(role: "user", content: "again")],
        ]
        let settings: [GenerationSettings] = [
            GenerationSettings(),
            GenerationSettings(temperature: 0, maxTokens: 16, seed: 3, systemMessage: "system " + Self.awkward),
            GenerationSettings(temperature: 0.7, maxTokens: nil, seed: -1, systemMessage: ""),
        ]
        for messages in conversations {
            for setting in settings {
                let written = try provider.requestBody(messages, settings: setting)
                let expected = try provider.encodedRequestBody(messages, settings: setting)
                #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            }
        }
    }

    @Test func repliesReadTheSameWithEitherParser() async throws {
        try await HTTPModelProvider.with(spec: ModelSpec(provider: .openai, model: "m"), baseURL: "http://127.0.0.1:1/v1", apiKey: nil, maxConnections: 1) { openai in
            try await HTTPModelProvider.with(spec: ModelSpec(provider: .anthropic, model: "m"), baseURL: "http://127.0.0.1:1", apiKey: nil, maxConnections: 1) { anthropic in
                try Self.compareReplies(openai: openai, anthropic: anthropic)
            }
        }
    }

    static func compareReplies(openai: HTTPModelProvider, anthropic: HTTPModelProvider) throws {
        let cases: [(HTTPModelProvider, String, String, TokenUsage?)] = [
            (openai, #"{"choices":[{"message":{"role":"assistant","content":"ANSWER: C"}}],"usage":{"prompt_tokens":9,"completion_tokens":2}}"#,
             "ANSWER: C", TokenUsage(inputTokens: 9, outputTokens: 2)),
            (openai, #"{"choices":[{"message":{"content":null}}],"usage":{"prompt_tokens":9.0}}"#, "", TokenUsage(inputTokens: 9, outputTokens: 0)),
            (openai, #"{"choices":[{"message":{"content":[{"type":"text","text":"x"}]}}],"usage":"none"}"#, "", nil),
            (anthropic, #"{"content":[{"type":"text","text":"AN"},{"type":"tool_use"},{"type":"text","text":"SWER: D"}],"usage":{"input_tokens":5,"output_tokens":3}}"#,
             "ANSWER: D", TokenUsage(inputTokens: 5, outputTokens: 3)),
        ]
        for (provider, body, output, usage) in cases {
            let fast = try provider.parseReply(Data(body.utf8))
            let slow = try provider.parseReplyDecoding(Data(body.utf8))
            #expect(fast.0 == output && fast.1 == usage)
            #expect(slow.0 == output && slow.1 == usage)
        }
        // Duplicate names: the strict parser refuses them, the decoder's reading still applies.
        let duplicate = try openai.parseReply(Data(#"{"choices":[{"message":{"content":"A"}}],"choices":[{"message":{"content":"B"}}]}"#.utf8))
        #expect(["A", "B"].contains(duplicate.0))
        #expect(throws: ModelCallError.self) { try openai.parseReply(Data(#"{"choices":[]}"#.utf8)) }
        #expect(throws: ModelCallError.self) { try anthropic.parseReply(Data(#"{"content":"x"}"#.utf8)) }
        #expect(throws: ModelCallError.self) { try openai.parseReply(Data("not json".utf8)) }
    }
}
