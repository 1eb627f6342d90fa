// The lean HTTP/1.1 client of plain-http model endpoints against a server that answers with exact
// bytes: chunked and Content-Length bodies, keep-alive and `Connection: close`, the size cap, the
// pool bound, and the failures the runner retries (refused, lost, timed out, 429 with Retry-After).
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing
@testable import Benchmarks

/// A TCP server that reads each HTTP request (head + Content-Length body) and writes the raw reply
/// `answer(n)` gives for the n-th request (from 1); nil means never answer. It closes the
/// connection after a reply containing `Connection: close`.
final class RawHTTPServer: Sendable {
    let channel: any Channel
    let connections = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let openNow = Atomic<Int>(0)
    let maxOpen = Atomic<Int>(0)

    var port: Int { channel.localAddress!.port! }

    init(answer: @escaping @Sendable (Int) -> String?) async throws {
        let box = Box()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Handler(server: box.server!, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.server = self
    }

    final class Box: @unchecked Sendable { weak var server: RawHTTPServer? }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: RawHTTPServer
        let answer: @Sendable (Int) -> String?
        var pending = ""
        init(server: RawHTTPServer, answer: @escaping @Sendable (Int) -> String?) { self.server = server; self.answer = answer }

        func channelActive(context: ChannelHandlerContext) {
            server.connections.add(1, ordering: .relaxed)
            let now = server.openNow.add(1, ordering: .relaxed).newValue
            var seen = server.maxOpen.load(ordering: .relaxed)
            while now > seen {
                let (exchanged, current) = server.maxOpen.compareExchange(expected: seen, desired: now, ordering: .relaxed)
                if exchanged { break }
                seen = current
            }
        }

        func channelInactive(context: ChannelHandlerContext) { server.openNow.subtract(1, ordering: .relaxed) }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readString(length: buffer.readableBytes) ?? ""
            while let headEnd = pending.range(of: "\r\n\r\n") {
                let head = pending[..<headEnd.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let bodyStart = pending.utf8.distance(from: pending.startIndex, to: headEnd.upperBound)
                guard pending.utf8.count >= bodyStart + length else { return }
                pending = String(pending.utf8.dropFirst(bodyStart + length))!
                let n = server.requests.add(1, ordering: .relaxed).newValue
                guard let reply = answer(n) else { continue }
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
                if reply.lowercased().contains("connection: close") { context.close(promise: nil) }
            }
        }
    }

    func close() async throws { try await channel.close() }
}

struct LeanHTTPClientTests {
    static let reply = #"{"choices":[{"message":{"content":"ANSWER: B"}}],"usage":{"prompt_tokens":7,"completion_tokens":2}}"#

    static func contentLength(_ body: String, extra: String = "") -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func chunked(_ body: String) -> String {
        let bytes = Array(body.utf8)
        var out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        var i = 0
        while i < bytes.count {
            let piece = bytes[i..<min(i + 17, bytes.count)]
            out += String(piece.count, radix: 16) + "\r\n" + String(decoding: piece, as: UTF8.self) + "\r\n"
            i += 17
        }
        return out + "0\r\n\r\n"
    }

    static func withProvider<T: Sendable>(port: Int, maxConnections: Int = 4, _ body: (HTTPModelProvider) async throws -> T) async throws -> T {
        try await HTTPModelProvider.with(spec: ModelSpec(provider: .openai, model: "m"), baseURL: "http://127.0.0.1:\(port)/v1", apiKey: "k",
                                         maxConnections: maxConnections, body)
    }

    static let ask = [ChatMessage(role: "user", content: "which?")]

    @Test func plainHTTPEndpointsUseTheLeanClientAndHTTPSDoesNot() async throws {
        let clients = ModelHTTPClients(maxConnections: 2)
        let plain = HTTPModelProvider(spec: ModelSpec(provider: .anthropic, model: "m"), baseURL: "http://127.0.0.1:9/", apiKey: nil, clients: clients)
        #expect(plain.lean?.path == "/v1/messages")
        let secure = HTTPModelProvider(spec: ModelSpec(provider: .openai, model: "m"), baseURL: "https://api.openai.com/v1", apiKey: nil, clients: clients)
        #expect(secure.lean == nil)
        try await clients.shutdown()

        // An https endpoint makes AsyncHTTPClient's pools on its first request; a refused
        // connection is a transport error, and after shutdown a request is refused, not crashed.
        let tls = ModelHTTPClients(maxConnections: 40)
        let remote = HTTPModelProvider(spec: ModelSpec(provider: .openai, model: "m"), baseURL: "https://127.0.0.1:1/v1", apiKey: nil, clients: tls)
        await #expect(throws: ModelCallError.self) { try await remote.generate(Self.ask, settings: GenerationSettings(), timeout: 1) }
        try await tls.shutdown()
        do {
            _ = try await remote.generate(Self.ask, settings: GenerationSettings(), timeout: 1)
            Issue.record("a request after shutdown succeeded")
        } catch let error as ModelCallError {
            #expect(String(describing: error).contains("shut down"), "\(error)")
        }

        let target = try #require(LeanTarget(url: "http://[::1]:8080/v1/chat/completions?x=1#frag"))
        #expect(target.host == "::1" && target.port == 8080 && target.path == "/v1/chat/completions?x=1")
        #expect(target.hostHeader == "[::1]:8080")
        #expect(LeanTarget(url: "http://example.org/v1")?.hostHeader == "example.org")
        #expect(LeanTarget(url: "http://example.org")?.path == "/")
        #expect(LeanTarget(url: "https://api.openai.com/v1") == nil)
        #expect(LeanTarget(url: "http://user@host/") == nil)
        #expect(LeanTarget(url: "http://host:99999/") == nil)
    }

    @Test func readsContentLengthAndChunkedBodiesOverOneKeptAliveConnection() async throws {
        let server = try await RawHTTPServer { n in n % 2 == 1 ? Self.contentLength(Self.reply) : Self.chunked(Self.reply) }
        try await Self.withProvider(port: server.port) { provider in
            for _ in 0..<4 {
                let reply = try await provider.generate(Self.ask, settings: GenerationSettings(), timeout: 5)
                #expect(reply.output == "ANSWER: B")
                #expect(reply.usage == TokenUsage(inputTokens: 7, outputTokens: 2))
                #expect(reply.responseBody == Self.reply)
            }
        }
        #expect(server.requests.load(ordering: .relaxed) == 4)
        #expect(server.connections.load(ordering: .relaxed) == 1)
        try await server.close()
    }

    @Test func aConnectionTheServerClosesIsReplacedAndUsed() async throws {
        let server = try await RawHTTPServer { _ in Self.contentLength(Self.reply, extra: "Connection: close\r\n") }
        try await Self.withProvider(port: server.port, maxConnections: 1) { provider in
            for _ in 0..<3 {
                let reply = try await provider.generate(Self.ask, settings: GenerationSettings(), timeout: 5)
                #expect(reply.output == "ANSWER: B")
            }
        }
        #expect(server.connections.load(ordering: .relaxed) == 3)
        try await server.close()
    }

    @Test func neverOpensMoreConnectionsThanAllowed() async throws {
        let server = try await RawHTTPServer { _ in Self.contentLength(Self.reply) }
        let outputs = try await Self.withProvider(port: server.port, maxConnections: 3) { provider in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<40 { group.addTask { try await provider.generate(Self.ask, settings: GenerationSettings(), timeout: 10).output } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
        }
        #expect(outputs.count == 40 && outputs.allSatisfy { $0 == "ANSWER: B" })
        #expect(server.maxOpen.load(ordering: .relaxed) <= 3)
        #expect(server.connections.load(ordering: .relaxed) <= 3)
        try await server.close()
    }

    @Test func requestsBeyondTheConnectsInFlightWaitAndAllAreServed() async throws {
        // Two connects at a time for up to twenty connections and sixty requests at once: every
        // request is answered, none on a twenty-first connection.
        let server = try await RawHTTPServer { _ in Self.contentLength(Self.reply) }
        let target = try #require(LeanTarget(url: "http://127.0.0.1:\(server.port)/v1/chat/completions"))
        let pool = LeanHTTP1Pool(target: target, maxConnections: 20, maxConnecting: 2)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    try await pool.execute(path: target.path, headers: HTTPHeaders(), body: Array("{}".utf8), timeout: 10, maxBodyBytes: 1 << 20).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        await pool.shutdown()
        #expect(statuses.count == 60 && statuses.allSatisfy { $0 == 200 })
        // More connections than connects in flight: each finished connect started the next.
        let opened = server.connections.load(ordering: .relaxed)
        #expect(opened > 2 && opened <= 20, "\(opened) connections")
        let port = server.port
        try await server.close()

        // Nothing listening: the waiting requests fail too, none hangs.
        let closed = try #require(LeanTarget(url: "http://127.0.0.1:\(port)/v1/chat/completions"))
        let refused = LeanHTTP1Pool(target: closed, maxConnections: 20, maxConnecting: 2)
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    do { _ = try await refused.execute(path: closed.path, headers: HTTPHeaders(), body: [], timeout: 5, maxBodyBytes: 1 << 20); return false }
                    catch { return error is ModelCallError }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        await refused.shutdown()
        #expect(failures == 12)
    }

    #if os(Linux)  // Glibc's socket constants, and Linux's dropping of SYNs to a full accept queue
    @Test func aRequestThatWaitedForAConnectKeepsItsOwnDeadline() async throws {
        // A listener that never accepts, its one-connection queue already taken: every connect to
        // it hangs (the kernel drops the SYNs) until the client gives up.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(filler); close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, generic, &length) == 0
                    && connect(filler, generic, length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let target = try #require(LeanTarget(url: "http://127.0.0.1:\(port)/v1/chat/completions"))
        // One connect at a time: the first request takes it and hangs to its 0.3 s deadline; the
        // second waits, and its connect starts only then. It must fail by its own 1 s deadline, not
        // after the 10 s a connect is otherwise allowed.
        let pool = LeanHTTP1Pool(target: target, maxConnections: 4, maxConnecting: 1)
        @Sendable func outcome(_ timeout: Double) async -> ModelCallError? {
            do { _ = try await pool.execute(path: target.path, headers: HTTPHeaders(), body: [], timeout: timeout, maxBodyBytes: 1 << 20); return nil }
            catch { return error as? ModelCallError }
        }
        let started = ContinuousClock.now
        async let first = outcome(0.3)
        try await Task.sleep(for: .milliseconds(100))
        let second = await outcome(1.0)
        let waited = ContinuousClock.now - started
        let firstOutcome = await first
        for (name, failure) in [("first", firstOutcome), ("second", second)] {
            guard case .timeout? = failure else { Issue.record("\(name): expected a timeout, got \(String(describing: failure))"); continue }
        }
        #expect(waited < .seconds(5), "the waiting request failed after \(waited)")
        await pool.shutdown()
    }
    #endif

    @Test func statusesTimeoutsAndLostConnectionsAreTheErrorsTheRunnerRetries() async throws {
        let server = try await RawHTTPServer { n in
            switch n {
            case 1: return "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 4\r\n\r\nslow"
            case 2: return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
            case 3: return nil  // never answers: timeout
            case 4: return "HTTP/1.1 200 OK\r\nContent-Length: 50\r\nConnection: close\r\n\r\n{\"cho"  // cut short
            default: return Self.contentLength(Self.reply)
            }
        }
        try await Self.withProvider(port: server.port, maxConnections: 1) { provider in
            // Only the call that must time out gets a short timeout: on a loaded machine a fresh
            // connection can take longer than that, and the other failures must be seen as themselves.
            func failure(timeout: Double = 10) async -> ModelCallError? {
                do { _ = try await provider.generate(Self.ask, settings: GenerationSettings(), timeout: timeout); return nil } catch { return error as? ModelCallError }
            }
            let limited = await failure()
            guard case .http(429, let after, "slow")? = limited else { Issue.record("expected 429, got \(String(describing: limited))"); return }
            #expect(after == 3)
            let unavailable = await failure()
            guard case .http(503, _, _)? = unavailable else { Issue.record("expected 503, got \(String(describing: unavailable))"); return }
            let timedOut = await failure(timeout: 0.3)
            guard case .timeout? = timedOut else { Issue.record("expected a timeout, got \(String(describing: timedOut))"); return }
            let lost = await failure()
            guard case .transport? = lost else { Issue.record("expected a connection error, got \(String(describing: lost))"); return }
            #expect(lost?.retryable == true)
            // And the next call gets a fresh connection and its answer.
            let reply = try await provider.generate(Self.ask, settings: GenerationSettings(), timeout: 5)
            #expect(reply.output == "ANSWER: B")
        }
        try await server.close()
    }

    @Test func aRefusedConnectionIsARetryableConnectionError() async throws {
        let server = try await RawHTTPServer { _ in nil }
        let port = server.port
        try await server.close()
        try await Self.withProvider(port: port) { provider in
            do {
                _ = try await provider.generate(Self.ask, settings: GenerationSettings(), timeout: 5)
                Issue.record("a closed port answered")
            } catch let error as ModelCallError {
                guard case .transport = error else { Issue.record("expected a connection error, got \(error)"); return }
                #expect(error.retryable)
            }
        }
    }

    @Test func bodiesOverTheCapAreRefusedWhetherDeclaredOrChunked() async throws {
        let big = String(repeating: "x", count: 300)
        let server = try await RawHTTPServer { n in n == 1 ? Self.contentLength(big) : Self.chunked(big) }
        let pool = LeanHTTP1Pool(target: LeanTarget(host: "127.0.0.1", port: server.port, path: "/"), maxConnections: 2)
        for _ in 0..<2 {
            do {
                _ = try await pool.execute(path: "/", headers: HTTPHeaders(), body: Array("{}".utf8), timeout: 5, maxBodyBytes: 100)
                Issue.record("an oversized body was accepted")
            } catch let error as ModelCallError {
                guard case .malformed = error else { Issue.record("expected malformed, got \(error)"); return }
            }
        }
        let ok = try await pool.execute(path: "/", headers: HTTPHeaders(), body: [], timeout: 5, maxBodyBytes: 1000)
        #expect(ok.status == 200 && ok.body.readableBytes == 300)
        await pool.shutdown()
        try await server.close()
    }
}
