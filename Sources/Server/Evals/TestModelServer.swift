// A local stand-in for a model endpoint, speaking both OpenAI chat completions and the Anthropic
// Messages API, used by the evaluation tests and the benchmark (`clearinghouse eval test-server`).
// It answers after a configurable delay and injects faults at a configurable rate: 500, 503, 429
// with Retry-After, and hangs longer than any sane client timeout. It never looks at a key.
import Benchmarks
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Platform
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

/// The test model server on a plain SwiftNIO HTTP/1.1 pipeline (no router, no Swift concurrency
/// per request): each request is answered on its connection's event loop, the delay a timer there,
/// the reply written by hand. Profiled in release beside the client under test, the previous
/// Hummingbird version spent most of its CPU on per-request tasks and JSONEncoder; on a shared
/// machine that CPU is taken from the client being measured.
public final class TestModelServer: Sendable {
    public let port: Int
    let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// Binds and starts answering (on NIO's shared event loops). `port` 0 picks a free one.
    public static func start(_ configuration: TestModelServerConfiguration, host: String = "127.0.0.1", port: Int,
                             stats: TestModelServerStats = TestModelServerStats()) async throws -> TestModelServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(TestModelHTTPHandler(configuration: configuration, stats: stats))
                }
            }
            .bind(host: host, port: port).get()
        return TestModelServer(port: channel.localAddress?.port ?? port, channel: channel)
    }

    /// Until the listening socket closes (`close()`, or the process ends).
    public func wait() async throws { try await channel.closeFuture.get() }

    public func close() async throws { try await channel.close() }
}

/// Runs `body` with a test model server on a free port, closing it afterwards.
public func withTestModelServer<T: Sendable>(_ configuration: TestModelServerConfiguration, stats: TestModelServerStats = TestModelServerStats(),
                                             _ body: (Int) async throws -> T) async throws -> T {
    let server = try await TestModelServer.start(configuration, port: 0, stats: stats)
    do {
        let result = try await body(server.port)
        try? await server.close()
        return result
    } catch {
        try? await server.close()
        throw error
    }
}

/// One per connection, on its event loop. NIO's server pipeline handles keep-alive and pipelining
/// (one request at a time reaches this handler).
final class TestModelHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let bodyLimit = 16 << 20
    let configuration: TestModelServerConfiguration
    let stats: TestModelServerStats
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(configuration: TestModelServerConfiguration, stats: TestModelServerStats) {
        self.configuration = configuration
        self.stats = stats
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > Self.bodyLimit { tooLarge = true } else { body.writeBuffer(&chunk) }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            handle(requestHead, context: context)
        }
    }

    private enum Route { case openai, anthropic, stats, none }

    private func route(_ head: HTTPRequestHead) -> Route {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.POST, "/v1/chat/completions"), (.POST, "/chat/completions"): return .openai
        case (.POST, "/v1/messages"): return .anthropic
        case (.GET, "/stats"): return .stats
        default: return .none
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        let anthropic: Bool
        switch route(head) {
        case .none: return respond(context, status: .notFound, body: "not found", keepAlive: keepAlive)
        case .stats:
            let s = stats.snapshot
            return respond(context, status: .ok, body: #"{"requests":\#(s.requests),"answered":\#(s.answered),"faults":\#(s.faults)}"#,
                           json: true, keepAlive: keepAlive)
        case .openai: anthropic = false
        case .anthropic: anthropic = true
        }
        if tooLarge { return respond(context, status: .payloadTooLarge, body: "request body too large", keepAlive: false) }
        let number = stats.state.withLock { state in
            state.requests += 1
            return state.requests
        }
        let configuration = configuration
        var fault: (status: HTTPResponseStatus, body: String, retryAfter: Int?, after: Int)?
        if configuration.faultRate > 0, Double.random(in: 0..<1) < configuration.faultRate {
            stats.state.withLock { $0.faults += 1 }
            switch number % 4 {
            case 0: fault = (.internalServerError, "injected fault", nil, configuration.delayMilliseconds)
            case 1: fault = (.tooManyRequests, "injected rate limit", configuration.retryAfterSeconds, configuration.delayMilliseconds)
            case 2: fault = (.serviceUnavailable, "injected fault", nil, configuration.delayMilliseconds)
            // The client is expected to give up first.
            default: fault = (.gatewayTimeout, "injected hang", nil, configuration.delayMilliseconds + configuration.hangMilliseconds)
            }
        }
        let answer: () -> Void
        if let fault {
            answer = { self.respond(context, status: fault.status, body: fault.body, retryAfter: fault.retryAfter, keepAlive: keepAlive) }
            return after(fault.after, context: context, answer)
        }
        let reply = Self.reply(to: body, anthropic: anthropic, number: number, answer: configuration.answer)
        let stats = stats
        answer = {
            stats.state.withLock { $0.answered += 1 }
            self.respond(context, status: .ok, bytes: reply, json: true, keepAlive: keepAlive)
        }
        after(configuration.delayMilliseconds, context: context, answer)
    }

    private func after(_ milliseconds: Int, context: ChannelHandlerContext, _ task: @escaping () -> Void) {
        if milliseconds <= 0 { return task() }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds)), task)
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, body text: String, json: Bool = false,
                         retryAfter: Int? = nil, keepAlive: Bool) {
        respond(context, status: status, bytes: Array(text.utf8), json: json, retryAfter: retryAfter, keepAlive: keepAlive)
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, bytes: [UInt8], json: Bool = false,
                         retryAfter: Int? = nil, keepAlive: Bool) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: String(bytes.count))
        headers.add(name: "content-type", value: json ? "application/json" : "text/plain; charset=utf-8")
        if let retryAfter { headers.add(name: "retry-after", value: String(retryAfter)) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// The answer and its reply body, written by hand. What is read of the request: the model name
    /// and the text of the last message (a string, as both APIs allow; anything else reads as no text).
    static func reply(to body: ByteBuffer, anthropic: Bool, number: Int, answer: TestModelServerConfiguration.Answer) -> [UInt8] {
        let request = body.withUnsafeReadableBytes { raw in try? JSONValue.parse(Data(raw)) }
        let model = request?["model"]?.stringValue ?? "test"
        let last: String
        if case .array(let messages)? = request?["messages"] { last = messages.last?["content"]?.stringValue ?? "" } else { last = "" }
        let text: String
        switch answer {
        case .letter(let letter): text = "ANSWER: \(letter)"
        case .echo: text = last
        case .hash:
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in last.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            text = "ANSWER: \(["A", "B", "C", "D"][Int(hash % 4)])"
        }
        let inputTokens = max(1, body.readableBytes / 4)
        let outputTokens = max(1, text.utf8.count / 4)
        var out = JSONBytes(capacity: 256 + text.utf8.count)
        if anthropic {
            out.raw("{"); out.key("content"); out.raw("[{"); out.key("text"); out.string(text); out.raw(","); out.key("type"); out.raw("\"text\"}],")
            out.key("id"); out.raw("\"msg_"); out.int(number); out.raw("\",")
            out.key("model"); out.string(model); out.raw(",")
            out.key("role"); out.raw("\"assistant\",")
            out.key("stop_reason"); out.raw("\"end_turn\",")
            out.key("stop_sequence"); out.raw("null,")
            out.key("type"); out.raw("\"message\",")
            out.key("usage"); out.raw("{"); out.key("input_tokens"); out.int(inputTokens); out.raw(",")
            out.key("output_tokens"); out.int(outputTokens); out.raw("}}")
        } else {
            out.raw("{"); out.key("choices"); out.raw("[{"); out.key("finish_reason"); out.raw("\"stop\","); out.key("index"); out.raw("0,")
            out.key("message"); out.raw("{"); out.key("content"); out.string(text); out.raw(","); out.key("role"); out.raw("\"assistant\"}}],")
            out.key("created"); out.int(Int(Date().timeIntervalSince1970)); out.raw(",")
            out.key("id"); out.raw("\"chatcmpl-"); out.int(number); out.raw("\",")
            out.key("model"); out.string(model); out.raw(",")
            out.key("object"); out.raw("\"chat.completion\",")
            out.key("usage"); out.raw("{"); out.key("completion_tokens"); out.int(outputTokens); out.raw(",")
            out.key("prompt_tokens"); out.int(inputTokens); out.raw(",")
            out.key("total_tokens"); out.int(inputTokens + outputTokens); out.raw("}}")
        }
        return out.bytes
    }
}
