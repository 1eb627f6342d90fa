// Model providers: `openai:MODEL` (OpenAI-compatible chat completions) and `anthropic:MODEL`
// (Anthropic Messages API) over one shared AsyncHTTPClient. A provider makes exactly one HTTP call
// per `generate`; retries, backoff and rate limits belong to the runner, which needs to tell a
// retryable failure (429, 5xx, connection lost, timeout) from a final one (400, 401, bad body).
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

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

public protocol ModelProvider: Sendable {
    var spec: ModelSpec { get }
    func generate(_ messages: [ChatMessage], settings: GenerationSettings, timeout: Double) async throws -> ModelReply
}

/// Creates the HTTP client a run uses. The pool's per-host limit is raised to the run's connection
/// bound: AsyncHTTPClient's default of 8 per host would otherwise cap every run at 8 requests in flight.
public func makeModelHTTPClient(maxConnections: Int) -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnections))
    configuration.httpVersion = .http1Only
    configuration.timeout = .init(connect: .seconds(10))
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}

/// One provider for both APIs; they differ only in the request and reply shapes and headers.
public struct HTTPModelProvider: ModelProvider {
    public let spec: ModelSpec
    public let baseURL: String
    let apiKey: String?
    let client: HTTPClient

    public init(spec: ModelSpec, baseURL: String, apiKey: String?, client: HTTPClient) {
        self.spec = spec
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.client = client
    }

    /// Runs `body` with a provider whose HTTP client lives exactly as long as the call.
    public static func with<T: Sendable>(spec: ModelSpec, baseURL: String, apiKey: String?, maxConnections: Int,
                                         _ body: (HTTPModelProvider) async throws -> T) async throws -> T {
        let client = makeModelHTTPClient(maxConnections: maxConnections)
        let provider = HTTPModelProvider(spec: spec, baseURL: baseURL, apiKey: apiKey, client: client)
        do {
            let result = try await body(provider)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    var endpoint: String {
        switch spec.provider {
        case .openai: return baseURL + "/chat/completions"
        // ANTHROPIC_BASE_URL is the host without the version, as Anthropic's own SDKs take it.
        case .anthropic: return baseURL.hasSuffix("/v1") ? baseURL + "/messages" : baseURL + "/v1/messages"
        }
    }

    public func generate(_ messages: [ChatMessage], settings: GenerationSettings, timeout: Double) async throws -> ModelReply {
        let body = try requestBody(messages, settings: settings)
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        switch spec.provider {
        case .openai:
            if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        case .anthropic:
            if let apiKey { request.headers.add(name: "x-api-key", value: apiKey) }
            request.headers.add(name: "anthropic-version", value: "2023-06-01")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        let status: Int
        let retryAfter: String?
        var buffer: ByteBuffer
        do {
            let response = try await client.execute(request, deadline: deadline)
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "retry-after")
            buffer = try await response.body.collect(upTo: 64 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw ModelCallError.timeout
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ModelCallError.transport(String(describing: error))
        }
        let text = buffer.readString(length: buffer.readableBytes) ?? ""
        guard (200..<300).contains(status) else {
            throw ModelCallError.http(status: status, retryAfter: ModelCallError.parseRetryAfter(retryAfter), body: text)
        }
        let (output, usage) = try parseReply(Data(text.utf8))
        return ModelReply(output: output, usage: usage, requestBody: String(decoding: body, as: UTF8.self), responseBody: text)
    }

    func requestBody(_ messages: [ChatMessage], settings: GenerationSettings) throws -> [UInt8] {
        var object: [String: Any] = ["model": spec.model]
        let conversation = messages.map { ["role": $0.role, "content": $0.content] }
        switch spec.provider {
        case .openai:
            var all = conversation
            if let system = settings.systemMessage, !system.isEmpty { all.insert(["role": "system", "content": system], at: 0) }
            object["messages"] = all
            if let maxTokens = settings.maxTokens { object["max_tokens"] = maxTokens }
            if let seed = settings.seed { object["seed"] = seed }
        case .anthropic:
            // The Messages API takes system text beside the turns, not as a turn.
            let systems = ([settings.systemMessage].compactMap { $0 } + messages.filter { $0.role == "system" }.map(\.content))
                .filter { !$0.isEmpty }
            if !systems.isEmpty { object["system"] = systems.joined(separator: "\n\n") }
            object["messages"] = conversation.filter { $0["role"] != "system" }
            object["max_tokens"] = settings.maxTokens ?? 1024
        }
        if let temperature = settings.temperature { object["temperature"] = temperature }
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    func parseReply(_ data: Data) throws -> (String, TokenUsage?) {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelCallError.malformed("not a JSON object")
        }
        let usage = root["usage"] as? [String: Any]
        func int(_ key: String) -> Int? { (usage?[key] as? NSNumber)?.intValue }
        switch spec.provider {
        case .openai:
            guard let choices = root["choices"] as? [[String: Any]], let first = choices.first,
                  let message = first["message"] as? [String: Any] else {
                throw ModelCallError.malformed("no choices[0].message")
            }
            let content = message["content"] as? String ?? ""
            let tokens = int("prompt_tokens").map { TokenUsage(inputTokens: $0, outputTokens: int("completion_tokens") ?? 0) }
            return (content, tokens)
        case .anthropic:
            guard let blocks = root["content"] as? [[String: Any]] else { throw ModelCallError.malformed("no content blocks") }
            let text = blocks.filter { ($0["type"] as? String) == "text" }.compactMap { $0["text"] as? String }.joined()
            let tokens = int("input_tokens").map { TokenUsage(inputTokens: $0, outputTokens: int("output_tokens") ?? 0) }
            return (text, tokens)
        }
    }
}
