// Model providers: `openai:MODEL` (OpenAI-compatible chat completions) and `anthropic:MODEL`
// (Anthropic Messages API); plain-http endpoints over our lean SwiftNIO client (LeanHTTP1.swift),
// https ones over AsyncHTTPClient (`ModelHTTPClients`). A provider makes exactly one HTTP call
// per `generate`; retries, backoff and rate limits belong to the runner, which needs to tell a
// retryable failure (429, 5xx, connection lost, timeout) from a final one (400, 401, bad body).
import AsyncHTTPClient
import Foundation
import Platform
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

public enum ProviderKind: String, Sendable, Codable {
    case openai, anthropic
}

/// `openai:gpt-4o-mini` → (.openai, "gpt-4o-mini"). The model name may itself contain colons.
public struct ModelSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    public var provider: ProviderKind
    public var model: String

    public init(provider: ProviderKind, model: String) {
        self.provider = provider
        self.model = model
    }

    public static func parse(_ text: String) throws -> ModelSpec {
        guard let colon = text.firstIndex(of: ":") else {
            throw BenchmarkError.invalidInput(location: "--model", reason: "expected openai:NAME or anthropic:NAME, got \(text.debugDescription)")
        }
        let name = String(text[text.index(after: colon)...])
        guard let kind = ProviderKind(rawValue: String(text[..<colon])), !name.isEmpty else {
            throw BenchmarkError.invalidInput(location: "--model", reason: "expected openai:NAME or anthropic:NAME, got \(text.debugDescription)")
        }
        return ModelSpec(provider: kind, model: name)
    }

    public var description: String { "\(provider.rawValue):\(model)" }

    /// The base URL from the environment, or the provider's public endpoint.
    public func defaultBaseURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        switch provider {
        case .openai: return environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
        case .anthropic: return environment["ANTHROPIC_BASE_URL"] ?? "https://api.anthropic.com"
        }
    }

    public func apiKey(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        switch provider {
        case .openai: return environment["OPENAI_API_KEY"]
        case .anthropic: return environment["ANTHROPIC_API_KEY"]
        }
    }
}

public struct ModelReply: Sendable {
    public var output: String
    public var usage: TokenUsage?
    public var requestBody: String
    public var responseBody: String
}

/// Why a call failed, and whether trying again may help.
public enum ModelCallError: Error, Sendable, CustomStringConvertible {
    case http(status: Int, retryAfter: Double?, body: String)
    case transport(String)
    case timeout
    case malformed(String)

    public var retryable: Bool {
        switch self {
        case .http(let status, _, _): return status == 408 || status == 409 || status == 429 || status >= 500
        case .transport, .timeout: return true
        case .malformed: return false
        }
    }

    public var retryAfter: Double? {
        if case .http(_, let after, _) = self { return after }
        return nil
    }

    public var description: String {
        switch self {
        case .http(let status, _, let body): return "HTTP \(status): \(body.prefix(300))"
        case .transport(let reason): return "connection error: \(reason)"
        case .timeout: return "request timed out"
        case .malformed(let reason): return "malformed response: \(reason)"
        }
    }

    /// `Retry-After` is either delta-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String?) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// A chat message read for its text: `content` when it is a string; any other shape (an array of
/// content blocks, null, a number) reads as no text rather than failing the whole body.
public struct MessageText: Decodable, Sendable {
    public var content: String?
    enum CodingKeys: String, CodingKey { case content }
    public init(from decoder: any Decoder) throws {
        content = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .content)
    }
}

public protocol ModelProvider: Sendable {
    var spec: ModelSpec { get }
    func generate(_ messages: [ChatMessage], settings: GenerationSettings, timeout: Double) async throws -> ModelReply
}

/// The HTTP clients a run uses: `maxConnections` keep-alive HTTP/1.1 connections to the endpoint,
/// spread over several AsyncHTTPClient pools of at most `connectionsPerPool` each.
///
/// Why several pools: AsyncHTTPClient's HTTP/1 pool walks all of its connections on every lease and
/// release (finding an idle one, recomputing its statistics), so its cost per request grows with the
/// pool size; profiled at 500 connections that walk was the client's largest cost. Each request goes
/// to the pool with the fewest requests in flight, so no pool ever needs more than its share while
/// the runner keeps at most `maxConnections` in flight. Each pool's per-host limit is raised to its
/// share (AsyncHTTPClient's default of 8 per host would otherwise cap the run).
///
/// Plain-http endpoints do not use these pools: they go through `LeanHTTP1Pool` (one per host, up
/// to `maxConnections` connections), which costs less CPU per request (see LeanHTTP1.swift).
public final class ModelHTTPClients: Sendable {
    public static let connectionsPerPool = 32
    /// Made on the first https request: a run against a plain-http endpoint never starts (or has to
    /// shut down) AsyncHTTPClient's pools, sixteen of them at 500 connections.
    private let clients = Mutex<(made: [HTTPClient]?, shutDown: Bool)>((nil, false))
    private let poolCount: Int
    private let configuration: HTTPClient.Configuration
    private let inFlight: Mutex<[Int]>
    let maxConnections: Int
    private let leanPools = Mutex<[LeanTarget: LeanHTTP1Pool]>([:])

    /// The event loop plain-http connections live on; nil spreads them over NIO's shared group.
    let loop: (any EventLoop)?

    /// `loop`: put every plain-http connection on this one event loop (see `EventLoopTaskExecutor`).
    public init(maxConnections: Int, loop: (any EventLoop)? = nil) {
        self.loop = loop
        let total = max(1, maxConnections)
        self.maxConnections = total
        poolCount = (total + Self.connectionsPerPool - 1) / Self.connectionsPerPool
        let share = (total + poolCount - 1) / poolCount
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: share)
        configuration.httpVersion = .http1Only
        configuration.timeout = .init(connect: .seconds(10))
        self.configuration = configuration
        inFlight = Mutex(Array(repeating: 0, count: poolCount))
    }

    /// Runs `body` with the least busy pool, counting the request as in flight until `body` returns
    /// (which must include reading the response body: the connection is leased until then).
    func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let index = inFlight.withLock { counts in
            var best = 0
            for i in counts.indices where counts[i] < counts[best] { best = i }
            counts[best] += 1
            return best
        }
        defer { inFlight.withLock { $0[index] -= 1 } }
        let client = clients.withLock { clients -> HTTPClient? in
            if clients.shutDown { return nil }
            if clients.made == nil {
                clients.made = (0..<poolCount).map { _ in HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration) }
            }
            return clients.made?[index]
        }
        guard let client else { throw ModelCallError.transport("client shut down") }
        return try await body(client)
    }

    /// The lean pool for a plain-http endpoint's host (made on first use).
    func leanPool(for target: LeanTarget) -> LeanHTTP1Pool {
        let key = LeanTarget(host: target.host, port: target.port, path: "")
        return leanPools.withLock { pools in
            if let pool = pools[key] { return pool }
            let pool = LeanHTTP1Pool(target: key, maxConnections: maxConnections, group: loop ?? MultiThreadedEventLoopGroup.singleton)
            pools[key] = pool
            return pool
        }
    }

    /// `closeConnections: false` leaves plain-http connections open for the process exit to close (see
    /// `LeanHTTP1Pool.shutdown`); AsyncHTTPClient's pools are always shut down in full.
    public func shutdown(closeConnections: Bool = true) async throws {
        for pool in leanPools.withLock({ Array($0.values) }) { await pool.shutdown(closeConnections: closeConnections) }
        var firstError: (any Error)?
        let made = clients.withLock { clients -> [HTTPClient] in
            clients.shutDown = true
            return clients.made ?? []
        }
        for client in made {
            do { try await client.shutdown() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }
}

/// One provider for both APIs; they differ only in the request and reply shapes and headers.
public struct HTTPModelProvider: ModelProvider {
    public let spec: ModelSpec
    public let baseURL: String
    let apiKey: String?
    let clients: ModelHTTPClients
    /// Set for a plain-http endpoint: its host's lean pool and the request target.
    let lean: (pool: LeanHTTP1Pool, path: String)?

    public init(spec: ModelSpec, baseURL: String, apiKey: String?, clients: ModelHTTPClients) {
        self.spec = spec
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.clients = clients
        lean = LeanTarget(url: Self.endpoint(spec, base: base)).map { (clients.leanPool(for: $0), $0.path) }
    }

    /// Runs `body` with a provider whose HTTP client lives exactly as long as the call. With
    /// `executor`, plain-http connections live on its event loop; `closeConnections: false` is for a
    /// process that exits right after (see `ModelHTTPClients.shutdown`).
    public static func with<T: Sendable>(spec: ModelSpec, baseURL: String, apiKey: String?, maxConnections: Int,
                                         executor: EventLoopTaskExecutor? = nil, closeConnections: Bool = true,
                                         _ body: (HTTPModelProvider) async throws -> T) async throws -> T {
        let clients = ModelHTTPClients(maxConnections: maxConnections, loop: executor?.loop)
        let provider = HTTPModelProvider(spec: spec, baseURL: baseURL, apiKey: apiKey, clients: clients)
        do {
            let result = try await body(provider)
            try await clients.shutdown(closeConnections: closeConnections)
            return result
        } catch {
            try? await clients.shutdown(closeConnections: closeConnections)
            throw error
        }
    }

    var endpoint: String { Self.endpoint(spec, base: baseURL) }

    static func endpoint(_ spec: ModelSpec, base baseURL: String) -> String {
        switch spec.provider {
        case .openai: return baseURL + "/chat/completions"
        // ANTHROPIC_BASE_URL is the host without the version, as Anthropic's own SDKs take it.
        case .anthropic: return baseURL.hasSuffix("/v1") ? baseURL + "/messages" : baseURL + "/v1/messages"
        }
    }

    public func generate(_ messages: [ChatMessage], settings: GenerationSettings, timeout: Double) async throws -> ModelReply {
        let body = try requestBody(messages, settings: settings)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        switch spec.provider {
        case .openai:
            if let apiKey { headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        case .anthropic:
            if let apiKey { headers.add(name: "x-api-key", value: apiKey) }
            headers.add(name: "anthropic-version", value: "2023-06-01")
        }
        let maxBodyBytes = 64 << 20
        let status: Int
        let retryAfter: String?
        var buffer: ByteBuffer
        if let lean {
            let response = try await lean.pool.execute(path: lean.path, headers: headers, body: body, timeout: timeout, maxBodyBytes: maxBodyBytes)
            (status, retryAfter, buffer) = (response.status, response.retryAfter, response.body)
        } else {
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers = headers
            request.body = .bytes(ByteBuffer(bytes: body))
            let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
            do {
                (status, retryAfter, buffer) = try await clients.withClient { client in
                    let response = try await client.execute(request, deadline: deadline)
                    return (Int(response.status.code), response.headers.first(name: "retry-after"), try await response.body.collect(upTo: maxBodyBytes))
                }
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                throw ModelCallError.timeout
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw ModelCallError.transport(String(describing: error))
            }
        }
        let text = buffer.readString(length: buffer.readableBytes) ?? ""
        guard (200..<300).contains(status) else {
            throw ModelCallError.http(status: status, retryAfter: ModelCallError.parseRetryAfter(retryAfter), body: text)
        }
        let (output, usage) = try parseReply(Data(text.utf8))
        return ModelReply(output: output, usage: usage, requestBody: String(decoding: body, as: UTF8.self), responseBody: text)
    }

    // Bodies are written and read with Codable structs rather than JSONSerialization: on Linux the
    // latter bridges every dictionary to NSDictionary, which profiled as the largest single cost of
    // a request in both this client and the test server.
    struct Message: Codable {
        var role: String
        var content: String
    }

    struct OpenAIRequest: Encodable {
        var model: String
        var messages: [Message]
        var maxTokens: Int?
        var seed: Int?
        var temperature: Double?
        enum CodingKeys: String, CodingKey {
            case model, messages, seed, temperature
            case maxTokens = "max_tokens"
        }
    }

    struct AnthropicRequest: Encodable {
        var model: String
        var system: String?
        var messages: [Message]
        var maxTokens: Int
        var temperature: Double?
        enum CodingKeys: String, CodingKey {
            case model, system, messages, temperature
            case maxTokens = "max_tokens"
        }
    }

    /// The request body, written by hand (it is built once per attempt): the same bytes as
    /// JSONEncoder with sorted keys writes for `OpenAIRequest` / `AnthropicRequest`, which
    /// `encodedRequestBody` still builds for the tests to compare against.
    func requestBody(_ messages: [ChatMessage], settings: GenerationSettings) throws -> [UInt8] {
        let (conversation, system, maxTokens) = requestParts(messages, settings: settings)
        var out = JSONBytes(capacity: 256 + conversation.reduce(0) { $0 + $1.content.utf8.count + 32 })
        out.raw("{")
        if let maxTokens { out.key("max_tokens"); out.int(maxTokens); out.raw(",") }
        out.key("messages"); out.raw("[")
        for (i, message) in conversation.enumerated() {
            if i > 0 { out.raw(",") }
            out.raw("{"); out.key("content"); out.string(message.content)
            out.raw(","); out.key("role"); out.string(message.role); out.raw("}")
        }
        out.raw("],"); out.key("model"); out.string(spec.model)
        if spec.provider == .openai, let seed = settings.seed { out.raw(","); out.key("seed"); out.int(seed) }
        if let system { out.raw(","); out.key("system"); out.string(system) }
        if let temperature = settings.temperature {
            out.raw(","); out.key("temperature")
            do { try out.double(temperature) } catch { throw BenchmarkError.invalidInput(location: "generation.temperature", reason: "not a finite number") }
        }
        out.raw("}")
        return out.bytes
    }

    /// What a request carries: the turns (OpenAI: the system message as the first turn; Anthropic:
    /// system text beside the turns, not as a turn), the Anthropic system text, and max_tokens
    /// (Anthropic requires it: 1024 unless set).
    func requestParts(_ messages: [ChatMessage], settings: GenerationSettings) -> ([Message], String?, Int?) {
        let conversation = messages.map { Message(role: $0.role, content: $0.content) }
        switch spec.provider {
        case .openai:
            var all = conversation
            if let system = settings.systemMessage, !system.isEmpty { all.insert(Message(role: "system", content: system), at: 0) }
            return (all, nil, settings.maxTokens)
        case .anthropic:
            let systems = ([settings.systemMessage].compactMap { $0 } + messages.filter { $0.role == "system" }.map(\.content))
                .filter { !$0.isEmpty }
            return (conversation.filter { $0.role != "system" }, systems.isEmpty ? nil : systems.joined(separator: "\n\n"), settings.maxTokens ?? 1024)
        }
    }

    /// The request body as JSONEncoder writes it (the reference `requestBody` is tested against).
    func encodedRequestBody(_ messages: [ChatMessage], settings: GenerationSettings) throws -> [UInt8] {
        let (conversation, system, maxTokens) = requestParts(messages, settings: settings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch spec.provider {
        case .openai:
            return Array(try encoder.encode(OpenAIRequest(model: spec.model, messages: conversation, maxTokens: maxTokens, seed: settings.seed,
                                                          temperature: settings.temperature)))
        case .anthropic:
            return Array(try encoder.encode(AnthropicRequest(model: spec.model, system: system, messages: conversation, maxTokens: maxTokens ?? 1024,
                                                             temperature: settings.temperature)))
        }
    }

    /// The parts of a reply we read; every field optional and leniently typed, so an odd but
    /// usable reply is still read, and only a reply without the essential part is malformed.
    struct Reply: Decodable {
        struct Usage: Decodable {
            var promptTokens, completionTokens, inputTokens, outputTokens: Int?
            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
                case inputTokens = "input_tokens", outputTokens = "output_tokens"
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                func int(_ key: CodingKeys) -> Int? {
                    (try? c.decodeIfPresent(Int.self, forKey: key)) ?? (try? c.decodeIfPresent(Double.self, forKey: key)).flatMap { Int(exactly: $0.rounded()) }
                }
                promptTokens = int(.promptTokens)
                completionTokens = int(.completionTokens)
                inputTokens = int(.inputTokens)
                outputTokens = int(.outputTokens)
            }
        }
        struct Choice: Decodable {
            var message: MessageText?
        }
        struct Block: Decodable {
            var type: String?
            var text: String?
        }
        var choices: [Choice]?
        var content: [Block]?
        var usage: Usage?

        enum CodingKeys: String, CodingKey { case choices, content, usage }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            choices = try? c.decodeIfPresent([Choice].self, forKey: .choices)
            content = try? c.decodeIfPresent([Block].self, forKey: .content)
            usage = try? c.decodeIfPresent(Usage.self, forKey: .usage)
        }
    }

    func parseReply(_ data: Data) throws -> (String, TokenUsage?) {
        // Platform's byte-level parser first (cheaper than JSONDecoder per reply); what it refuses
        // (duplicate names, deep nesting) still gets the decoder's more lenient reading below.
        if let root = try? JSONValue.parse(data), case .object = root { return try parseReply(root) }
        return try parseReplyDecoding(data)
    }

    /// The reading of a reply through `Reply` and JSONDecoder.
    func parseReplyDecoding(_ data: Data) throws -> (String, TokenUsage?) {
        guard let root = try? JSONDecoder().decode(Reply.self, from: data) else {
            throw ModelCallError.malformed("not a JSON object")
        }
        switch spec.provider {
        case .openai:
            guard let first = root.choices?.first, let message = first.message else {
                throw ModelCallError.malformed("no choices[0].message")
            }
            let tokens = root.usage?.promptTokens.map { TokenUsage(inputTokens: $0, outputTokens: root.usage?.completionTokens ?? 0) }
            return (message.content ?? "", tokens)
        case .anthropic:
            guard let blocks = root.content else { throw ModelCallError.malformed("no content blocks") }
            let text = blocks.filter { $0.type == "text" }.compactMap(\.text).joined()
            let tokens = root.usage?.inputTokens.map { TokenUsage(inputTokens: $0, outputTokens: root.usage?.outputTokens ?? 0) }
            return (text, tokens)
        }
    }
}

extension HTTPModelProvider {
    /// The same reading as `Reply`, from a parsed value: every field optional and leniently typed
    /// (token counts as integers or whole doubles; a message content that is not a string reads as "").
    func parseReply(_ root: JSONValue) throws -> (String, TokenUsage?) {
        func count(_ value: JSONValue?) -> Int? {
            switch value {
            case .int(let number): return number
            case .double(let number): return Int(exactly: number.rounded())
            default: return nil
            }
        }
        let usage = root["usage"]
        switch spec.provider {
        case .openai:
            guard case .array(let choices)? = root["choices"], let first = choices.first, case .object = first,
                  let message = first["message"], case .object = message else {
                throw ModelCallError.malformed("no choices[0].message")
            }
            let tokens = count(usage?["prompt_tokens"]).map { TokenUsage(inputTokens: $0, outputTokens: count(usage?["completion_tokens"]) ?? 0) }
            return (message["content"]?.stringValue ?? "", tokens)
        case .anthropic:
            guard case .array(let blocks)? = root["content"] else { throw ModelCallError.malformed("no content blocks") }
            let text = blocks.filter { $0["type"]?.stringValue == "text" }.compactMap { $0["text"]?.stringValue }.joined()
            let tokens = count(usage?["input_tokens"]).map { TokenUsage(inputTokens: $0, outputTokens: count(usage?["output_tokens"]) ?? 0) }
            return (text, tokens)
        }
    }
}
