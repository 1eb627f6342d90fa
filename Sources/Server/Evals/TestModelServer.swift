// A local stand-in for a model endpoint, speaking both OpenAI chat completions and the Anthropic
// Messages API, used by the evaluation tests and the benchmark (`clearinghouse eval test-server`).
// It answers after a configurable delay and injects faults at a configurable rate: 500, 503, 429
// with Retry-After, and hangs longer than any sane client timeout. It never looks at a key.
import Benchmarks
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

public struct TestModelServerConfiguration: Sendable {
    public enum Answer: Sendable, Equatable {
        /// Always "ANSWER: X".
        case letter(String)
        /// "ANSWER: X" with X in A–D chosen by a hash of the request's last message: varied but repeatable.
        case hash
        /// The last message's text, back.
        case echo
    }

    public var answer: Answer
    public var delayMilliseconds: Int
    /// Fraction (0...1) of requests that fail; the kinds take turns: 500, 429, 503, hang.
    public var faultRate: Double
    /// Seconds sent in Retry-After on a 429.
    public var retryAfterSeconds: Int
    /// How long a "hang" fault holds the request before answering anyway.
    public var hangMilliseconds: Int

    public init(answer: Answer = .letter("A"), delayMilliseconds: Int = 0, faultRate: Double = 0, retryAfterSeconds: Int = 1,
                hangMilliseconds: Int = 30_000) {
        self.answer = answer
        self.delayMilliseconds = delayMilliseconds
        self.faultRate = faultRate
        self.retryAfterSeconds = retryAfterSeconds
        self.hangMilliseconds = hangMilliseconds
    }

    /// Parses `--answer`: a single letter, `hash` or `echo`.
    public static func parseAnswer(_ text: String) -> Answer? {
        switch text {
        case "hash": return .hash
        case "echo": return .echo
        default:
            guard text.count == 1, let scalar = text.uppercased().unicodeScalars.first, ("A"..."Z").contains(scalar) else { return nil }
            return .letter(text.uppercased())
        }
    }
}

/// Counts what the server did, for tests (`GET /stats`).
public final class TestModelServerStats: Sendable {
    let state = Mutex<(requests: Int, answered: Int, faults: Int)>((0, 0, 0))
    public init() {}
    public var snapshot: (requests: Int, answered: Int, faults: Int) { state.withLock { $0 } }
}

public func buildTestModelServer(_ configuration: TestModelServerConfiguration, host: String = "127.0.0.1", port: Int,
                                 stats: TestModelServerStats = TestModelServerStats(), logger: Logger,
                                 onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
    let router = Router()
    let handler = TestModelHandler(configuration: configuration, stats: stats)
    router.post("/v1/chat/completions") { request, _ in try await handler.handle(request, anthropic: false) }
    router.post("/chat/completions") { request, _ in try await handler.handle(request, anthropic: false) }
    router.post("/v1/messages") { request, _ in try await handler.handle(request, anthropic: true) }
    router.get("/stats") { _, _ in
        let s = stats.snapshot
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"requests":\#(s.requests),"answered":\#(s.answered),"faults":\#(s.faults)}"#)))
    }
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                       onServerRunning: onServerRunning, logger: logger)
}

struct TestModelHandler: Sendable {
    let configuration: TestModelServerConfiguration
    let stats: TestModelServerStats

    func handle(_ request: Request, anthropic: Bool) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 << 20)
        let number = stats.state.withLock { state in
            state.requests += 1
            return state.requests
        }
        if configuration.delayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(configuration.delayMilliseconds)) }
        if configuration.faultRate > 0, Double.random(in: 0..<1) < configuration.faultRate {
            stats.state.withLock { $0.faults += 1 }
            switch number % 4 {
            case 0: return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "injected fault")))
            case 1:
                return Response(status: .tooManyRequests, headers: [.retryAfter: String(configuration.retryAfterSeconds)],
                                body: .init(byteBuffer: ByteBuffer(string: "injected rate limit")))
            case 2: return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "injected fault")))
            default:
                // The client is expected to give up first.
                try await Task.sleep(for: .milliseconds(configuration.hangMilliseconds))
                return Response(status: .gatewayTimeout, body: .init(byteBuffer: ByteBuffer(string: "injected hang")))
            }
        }
        let parsed = (try? JSONDecoder().decode(TestModelRequest.self, from: Data(body.readableBytesView))) ?? TestModelRequest()
        let model = parsed.model ?? "test"
        let last = parsed.lastContent ?? ""
        let text: String
        switch configuration.answer {
        case .letter(let letter): text = "ANSWER: \(letter)"
        case .echo: text = last
        case .hash:
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in last.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            text = "ANSWER: \(["A", "B", "C", "D"][Int(hash % 4)])"
        }
        let inputTokens = max(1, body.readableBytes / 4)
        let outputTokens = max(1, text.utf8.count / 4)
        let data: Data
        if anthropic {
            data = try JSONEncoder().encode(AnthropicReply(id: "msg_\(number)", model: model, text: text, inputTokens: inputTokens, outputTokens: outputTokens))
        } else {
            data = try JSONEncoder().encode(OpenAIReply(id: "chatcmpl-\(number)", created: Int(Date().timeIntervalSince1970), model: model, text: text,
                                                        promptTokens: inputTokens, completionTokens: outputTokens))
        }
        stats.state.withLock { $0.answered += 1 }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

// Request and reply bodies as Codable structs: JSONSerialization's bridging to NSDictionary was most
// of this server's CPU per request, which on a shared machine is CPU the client under test lacks.

/// What the server reads of a request: the model name and the text of the last message (a string,
/// as both APIs allow; block arrays read as no text).
private struct TestModelRequest: Decodable {
    var model: String?
    var messages: [MessageText]?
    var lastContent: String? { messages?.last?.content }

    init() {}
    enum CodingKeys: String, CodingKey { case model, messages }
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try? c.decodeIfPresent(String.self, forKey: .model)
        messages = try? c.decodeIfPresent([MessageText].self, forKey: .messages)
    }
}

private struct OpenAIReply: Encodable {
    var id: String
    var created: Int
    var model: String
    var text: String
    var promptTokens: Int
    var completionTokens: Int

    enum Keys: String, CodingKey {
        case id, object, created, model, choices, usage, index, message, role, content
        case finishReason = "finish_reason", promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode("chat.completion", forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        var choices = c.nestedUnkeyedContainer(forKey: .choices)
        var choice = choices.nestedContainer(keyedBy: Keys.self)
        try choice.encode(0, forKey: .index)
        var message = choice.nestedContainer(keyedBy: Keys.self, forKey: .message)
        try message.encode("assistant", forKey: .role)
        try message.encode(text, forKey: .content)
        try choice.encode("stop", forKey: .finishReason)
        var usage = c.nestedContainer(keyedBy: Keys.self, forKey: .usage)
        try usage.encode(promptTokens, forKey: .promptTokens)
        try usage.encode(completionTokens, forKey: .completionTokens)
        try usage.encode(promptTokens + completionTokens, forKey: .totalTokens)
    }
}

private struct AnthropicReply: Encodable {
    var id: String
    var model: String
    var text: String
    var inputTokens: Int
    var outputTokens: Int

    enum Keys: String, CodingKey {
        case id, type, role, model, content, text, usage
        case stopReason = "stop_reason", stopSequence = "stop_sequence", inputTokens = "input_tokens", outputTokens = "output_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode("message", forKey: .type)
        try c.encode("assistant", forKey: .role)
        try c.encode(model, forKey: .model)
        var content = c.nestedUnkeyedContainer(forKey: .content)
        var block = content.nestedContainer(keyedBy: Keys.self)
        try block.encode("text", forKey: .type)
        try block.encode(text, forKey: .text)
        try c.encode("end_turn", forKey: .stopReason)
        try c.encodeNil(forKey: .stopSequence)
        var usage = c.nestedContainer(keyedBy: Keys.self, forKey: .usage)
        try usage.encode(inputTokens, forKey: .inputTokens)
        try usage.encode(outputTokens, forKey: .outputTokens)
    }
}

