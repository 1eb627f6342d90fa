// A small HTTP/1.1 client on SwiftNIO for plain-http model endpoints (the local test server, a
// model served on the same network): a pool of keep-alive connections per host, at most one
// request in flight on each, no per-request Swift task or async body stream. At 500 connections
// AsyncHTTPClient's pool bookkeeping and its async request/response bridging were most of the
// client's CPU per sample; here a request is one future chain on the connection's event loop and
// one `await` at the end. https endpoints keep AsyncHTTPClient (see `ModelHTTPClients`).
//
// Failures come back as the `ModelCallError`s the runner already classifies: a refused or lost
// connection is `.transport`, an expired deadline (connecting included) is `.timeout`, a body over
// the size cap is `.malformed`. Bodies may be Content-Length, chunked or read-until-close (NIOHTTP1's
// decoder handles all three).
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

struct LeanResponse: Sendable {
    var status: Int
    var retryAfter: String?
    var body: ByteBuffer
    var keepAlive: Bool
}

/// Where requests to one endpoint go: host and port to connect to, and the request target.
struct LeanTarget: Sendable, Hashable {
    var host: String
    var port: Int
    var path: String

    init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    /// `http://host[:port]/path?query`, or nil for anything else (https, no host).
    init?(url: String) {
        guard let components = URLComponentsLite(url), components.scheme == "http" else { return nil }
        host = components.host
        port = components.port ?? 80
        path = components.pathAndQuery.isEmpty ? "/" : components.pathAndQuery
    }

    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }
}

/// Just enough URL splitting for `scheme://host[:port][/path][?query]` (userinfo is refused).
struct URLComponentsLite {
    var scheme: String
    var host: String
    var port: Int?
    var pathAndQuery: String

    init?(_ url: String) {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        pathAndQuery = target.hasPrefix("?") ? "/" + target : String(target)
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { port = nil } else {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            host = String(authority)
            port = nil
        }
        if host.isEmpty { return nil }
    }
}

/// What a caller hands a connection: the request and where its response goes.
struct LeanRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var deadline: NIODeadline
    var maxBodyBytes: Int
    var promise: EventLoopPromise<LeanResponse>
}

/// The last handler of a connection: writes one request, collects its response, fails it on
/// timeout, error or close. A second request while one is in flight is refused (the pool never
/// sends one).
final class LeanHTTP1Handler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = LeanRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var promise: EventLoopPromise<LeanResponse>?
    private var timeout: Scheduled<Void>?
    private var status = 0
    private var retryAfter: String?
    private var keepAlive = true
    private var body: ByteBuffer?
    private var maxBodyBytes = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard promise == nil, context.channel.isActive else {
            request.promise.fail(ModelCallError.transport(promise == nil ? "connection closed" : "connection busy"))
            writePromise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        promise = request.promise
        status = 0
        retryAfter = nil
        keepAlive = true
        body = nil
        maxBodyBytes = request.maxBodyBytes
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(deadline: request.deadline) {
            let (handler, context) = bound.value
            handler.fail(ModelCallError.timeout, context: context)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            let (handler, context) = bound.value
            handler.fail(ModelCallError.transport(String(describing: error)), context: context)
        }
        if let writePromise { written.futureResult.cascade(to: writePromise) }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard promise != nil else { return }  // nothing asked for (or already failed): ignore
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            retryAfter = head.headers.first(name: "retry-after")
            keepAlive = head.isKeepAlive
            let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
            if let declared, declared > maxBodyBytes {
                fail(ModelCallError.malformed("response body of \(declared) bytes is over the \(maxBodyBytes)-byte limit"), context: context)
                return
            }
            body = context.channel.allocator.buffer(capacity: declared ?? 1024)
        case .body(var chunk):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                fail(ModelCallError.malformed("response body is over the \(maxBodyBytes)-byte limit"), context: context)
                return
            }
            body?.writeBuffer(&chunk)
        case .end:
            guard let promise else { return }
            self.promise = nil
            timeout?.cancel()
            timeout = nil
            let response = LeanResponse(status: status, retryAfter: retryAfter, body: body ?? ByteBuffer(), keepAlive: keepAlive)
            body = nil
            promise.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ModelCallError.transport("connection closed by the server"), context: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(ModelCallError.transport(String(describing: error)), context: context)
    }

    /// Fails the request in flight (if any) and closes the connection: after a failure its state
    /// (a half-read body, a late reply) is unknown, so it is never reused.
    private func fail(_ error: ModelCallError, context: ChannelHandlerContext?) {
        timeout?.cancel()
        timeout = nil
        body = nil
        if let promise {
            self.promise = nil
            promise.fail(error)
        }
        context?.close(promise: nil)
    }
}

/// Keep-alive connections to one host, at most `maxConnections` open; a request waits for a free
/// one when all are busy (the runner keeps at most `--max-connections` in flight, so it rarely does).
final class LeanHTTP1Pool: Sendable {
    let target: LeanTarget
    let maxConnections: Int
    let group: any EventLoopGroup

    /// Connects in flight at once. On the one event loop of a run, 500 requests starting together
    /// each used to open their connection before the loop read any of them back, so no request
    /// left until the 500th connect had been issued; with a few dozen connects in flight, each
    /// request goes out as soon as its connection is up while later ones are still connecting
    /// (and a remote endpoint never sees a burst of hundreds of SYNs).
    let maxConnecting: Int

    /// A request waiting for a connection, with its own deadline.
    private typealias Waiter = (promise: EventLoopPromise<any Channel>, deadline: NIODeadline)

    private struct State {
        var idle: [any Channel] = []
        var open = 0
        var connecting = 0
        /// Requests waiting for a connection, first come first served, each with its own deadline.
        var waiters: [Waiter] = []
        var all: [ObjectIdentifier: any Channel] = [:]
        var shutDown = false
    }
    private let state = Mutex(State())

    init(target: LeanTarget, maxConnections: Int, maxConnecting: Int = 32, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.target = target
        self.maxConnections = max(1, maxConnections)
        self.maxConnecting = max(1, maxConnecting)
        self.group = group
    }

    /// Sends one request and waits for its whole response (or its failure).
    func execute(method: HTTPMethod = .POST, path: String, headers: HTTPHeaders, body: [UInt8], timeout: Double, maxBodyBytes: Int) async throws -> LeanResponse {
        var requestHeaders = headers
        requestHeaders.replaceOrAdd(name: "Host", value: target.hostHeader)
        requestHeaders.replaceOrAdd(name: "Content-Length", value: String(body.count))
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: requestHeaders)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(max(0, timeout) * 1_000_000_000))
        let buffer = ByteBuffer(bytes: body)
        let cancel = CancelBox()
        let future = lease(deadline: deadline).flatMap { channel -> EventLoopFuture<LeanResponse> in
            cancel.attach(channel)
            let promise = channel.eventLoop.makePromise(of: LeanResponse.self)
            channel.writeAndFlush(LeanRequest(head: head, body: buffer, deadline: deadline, maxBodyBytes: maxBodyBytes, promise: promise), promise: nil)
            return promise.futureResult.map { response in
                self.release(channel, keepAlive: response.keepAlive)
                return response
            }
        }
        do {
            return try await withTaskCancellationHandler {
                try await future.get()
            } onCancel: {
                cancel.cancel()
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if let error = error as? ModelCallError { throw error }
            throw ModelCallError.transport(String(describing: error))
        }
    }

    private enum Lease {
        case use(any Channel)
        case connect
        case wait(EventLoopPromise<any Channel>)
        case refuse
    }

    private func lease(deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        let loop = group.next()
        let action = state.withLock { state -> Lease in
            if state.shutDown { return .refuse }
            while let channel = state.idle.popLast() {
                if channel.isActive { return .use(channel) }
            }
            if state.open < maxConnections && state.connecting < maxConnecting {
                state.open += 1
                state.connecting += 1
                return .connect
            }
            // No idle connection and no room to start one now: a released connection or the next
            // connect that may start (see `startWaitingConnects`) serves this request.
            let waiter = loop.makePromise(of: (any Channel).self)
            state.waiters.append((waiter, deadline))
            return .wait(waiter)
        }
        switch action {
        case .use(let channel): return channel.eventLoop.makeSucceededFuture(channel)
        case .connect: return connect(on: loop, deadline: deadline)
        case .wait(let waiter):
            // A request that no connection reaches by its deadline fails as a timeout.
            let timer = loop.scheduleTask(deadline: deadline) {
                let removed = self.state.withLock { state -> Bool in
                    guard let index = state.waiters.firstIndex(where: { $0.promise.futureResult === waiter.futureResult }) else { return false }
                    state.waiters.remove(at: index)
                    return true
                }
                if removed { waiter.fail(ModelCallError.timeout) }
            }
            waiter.futureResult.whenComplete { _ in timer.cancel() }
            return waiter.futureResult
        case .refuse: return loop.makeFailedFuture(ModelCallError.transport("client shut down"))
        }
    }

    /// Opens one connection; it is already counted in `open` and `connecting`.
    private func connect(on loop: any EventLoop, deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        let attempt = attemptConnect(on: loop, deadline: deadline)
        attempt.whenComplete { _ in
            self.state.withLock { $0.connecting -= 1 }
            self.startWaitingConnects()
        }
        return attempt
    }

    private func attemptConnect(on loop: any EventLoop, deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        let remaining = deadline - .now()
        let connectTimeout = min(TimeAmount.seconds(10), max(.milliseconds(1), remaining))
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(LeanHTTP1Handler())
                }
            }
        // An IP literal needs no resolver (NIO would otherwise run getaddrinfo and a happy-eyeballs
        // race for each of up to --max-connections connections).
        let connecting = (try? SocketAddress(ipAddress: target.host, port: target.port)).map { bootstrap.connect(to: $0) }
            ?? bootstrap.connect(host: target.host, port: target.port)
        return connecting
            .flatMapThrowing { channel -> any Channel in
                let refused = self.state.withLock { state -> Bool in
                    if state.shutDown { return true }
                    state.all[ObjectIdentifier(channel)] = channel
                    return false
                }
                channel.closeFuture.whenComplete { _ in self.closed(channel) }
                if refused {
                    channel.close(promise: nil)
                    throw ModelCallError.transport("client shut down")
                }
                return channel
            }
            .flatMapErrorThrowing { error in
                if !(error is ModelCallError) { self.slotFreed() }
                if let channelError = error as? ChannelError, case .connectTimeout = channelError { throw ModelCallError.timeout }
                if error is ModelCallError { throw error }
                throw ModelCallError.transport(String(describing: error))
            }
    }

    /// A finished request's connection: to a waiting request, else idle; closed if the server
    /// asked to close it.
    private func release(_ channel: any Channel, keepAlive: Bool) {
        guard keepAlive, channel.isActive else {
            channel.close(promise: nil)
            return
        }
        let waiter = state.withLock { state -> EventLoopPromise<any Channel>? in
            if state.shutDown { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().promise }
            state.idle.append(channel)
            return nil
        }
        waiter?.succeed(channel)
    }

    private func closed(_ channel: any Channel) {
        let known = state.withLock { state -> Bool in
            guard state.all.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return false }
            if let index = state.idle.firstIndex(where: { $0 === channel }) { state.idle.remove(at: index) }
            return true
        }
        if known { slotFreed() }
    }

    /// A connection slot came free (closed, or a connect that failed): a waiting request may get a
    /// new connection in it.
    private func slotFreed() {
        state.withLock { $0.open -= 1 }
        startWaitingConnects()
    }

    /// Starts a connect for each waiting request there is room for (under `maxConnections` open
    /// and `maxConnecting` in flight); each connection goes to the request it was started for, and
    /// the connect is bounded by that request's deadline.
    private func startWaitingConnects() {
        let starting = state.withLock { state -> [Waiter] in
            var starting: [Waiter] = []
            while !state.shutDown, !state.waiters.isEmpty, state.open < maxConnections, state.connecting < maxConnecting {
                state.open += 1
                state.connecting += 1
                starting.append(state.waiters.removeFirst())
            }
            return starting
        }
        for waiter in starting {
            connect(on: waiter.promise.futureResult.eventLoop, deadline: waiter.deadline).cascade(to: waiter.promise)
        }
    }

    /// Fails waiting requests and closes every connection. `closeConnections: false` is for a process
    /// about to exit: it leaves the open connections to the exit, which closes them all at once in
    /// the kernel (closing 500 channels on the loop took 20-60 ms at the end of every `eval run`,
    /// and held up whatever was queued behind them).
    func shutdown(closeConnections: Bool = true) async {
        let (channels, waiters) = state.withLock { state in
            state.shutDown = true
            let result = (Array(state.all.values), state.waiters)
            state.waiters = []
            state.idle = []
            return result
        }
        for waiter in waiters { waiter.promise.fail(ModelCallError.transport("client shut down")) }
        guard closeConnections else { return }
        // All closes start at once; then wait for each (500 connections closed one after another
        // cost a round through the event loop apiece).
        let closing = channels.map { $0.close() }
        for closed in closing { try? await closed.get() }
    }
}

/// The connection a request is on, so cancelling the request's task can close it.
private final class CancelBox: Sendable {
    private let state = Mutex<(channel: (any Channel)?, cancelled: Bool)>((nil, false))

    func attach(_ channel: any Channel) {
        let cancelled = state.withLock { state -> Bool in
            state.channel = channel
            return state.cancelled
        }
        if cancelled { channel.close(promise: nil) }
    }

    func cancel() {
        let channel = state.withLock { state -> (any Channel)? in
            state.cancelled = true
            return state.channel
        }
        channel?.close(promise: nil)
    }
}
