// Record types of the append-only JSONL run log (a header line, one line per finished sample, a
// footer), and a reader that survives a crash mid-write so a resumed run skips finished samples.
import Foundation
import Platform

public struct RunHeader: Sendable, Equatable, Codable {
    public var runID: String
    public var suite: String
    public var suiteVersion: String
    public var model: String
    public var generation: GenerationSettings
    public var epochs: Int
    /// Multiple-choice shuffle seed, when the solver shuffles.
    public var shuffleSeed: UInt64?
    public var created: Date
    /// The whole suite as run (dataset paths absolute), so `eval resume` needs nothing but the log.
    public var suiteSpec: Suite?
    /// The endpoint the run talks to (never a key).
    public var baseURL: String?
    public var maxConnections: Int?

    public init(runID: String, suite: String, suiteVersion: String, model: String, generation: GenerationSettings,
                epochs: Int = 1, shuffleSeed: UInt64? = nil, created: Date, suiteSpec: Suite? = nil, baseURL: String? = nil,
                maxConnections: Int? = nil) {
        self.runID = runID
        self.suite = suite
        self.suiteVersion = suiteVersion
        self.model = model
        self.generation = generation
        self.epochs = epochs
        self.shuffleSeed = shuffleSeed
        self.created = created
        self.suiteSpec = suiteSpec
        self.baseURL = baseURL
        self.maxConnections = maxConnections
    }

    enum CodingKeys: String, CodingKey {
        case suite, model, generation, epochs, created
        case suiteSpec = "suite_spec"
        case baseURL = "base_url"
        case maxConnections = "max_connections"
        case runID = "run_id"
        case suiteVersion = "suite_version"
        case shuffleSeed = "shuffle_seed"
    }
}

public struct TokenUsage: Sendable, Equatable, Hashable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
    }
}

public struct SampleTiming: Sendable, Equatable, Hashable, Codable {
    public var started: Date
    public var completed: Date
    /// Attempts made (1 + retries).
    public var attempts: Int
    public init(started: Date, completed: Date, attempts: Int = 1) {
        self.started = started
        self.completed = completed
        self.attempts = attempts
    }
    public var seconds: Double { completed.timeIntervalSince(started) }
}

/// The key a resumed run uses to decide what is already done.
public struct SampleKey: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var sampleID: String
    public var epoch: Int
    public init(sampleID: String, epoch: Int) {
        self.sampleID = sampleID
        self.epoch = epoch
    }
    public var description: String { "\(sampleID)#\(epoch)" }
}

public struct SampleRecord: Sendable, Equatable, Codable {
    public var sampleID: String
    /// 1-based.
    public var epoch: Int
    public var input: SampleInput
    public var target: [String]
    public var output: String?
    /// nil when the sample errored: an error is never a wrong answer.
    public var score: Score?
    /// Raw request and response bodies (JSON text) of the final attempt.
    public var request: String?
    public var response: String?
    public var timing: SampleTiming
    public var usage: TokenUsage?
    public var error: String?
    public var metadata: [String: JSONValue]

    public init(sampleID: String, epoch: Int, input: SampleInput, target: [String] = [], output: String? = nil, score: Score? = nil,
                request: String? = nil, response: String? = nil, timing: SampleTiming, usage: TokenUsage? = nil,
                error: String? = nil, metadata: [String: JSONValue] = [:]) {
        self.sampleID = sampleID
        self.epoch = epoch
        self.input = input
        self.target = target
        self.output = output
        self.score = score
        self.request = request
        self.response = response
        self.timing = timing
        self.usage = usage
        self.error = error
        self.metadata = metadata
    }

    public var key: SampleKey { SampleKey(sampleID: sampleID, epoch: epoch) }

    enum CodingKeys: String, CodingKey {
        case epoch, input, target, output, score, request, response, timing, usage, error, metadata
        case sampleID = "sample_id"
    }
}

public struct RunFooter: Sendable, Equatable, Codable {
    public var completed: Date
    public var samples: Int
    public var errors: Int
    public var score: Double
    public var ciLow: Double
    public var ciHigh: Double
    public init(completed: Date, samples: Int, errors: Int, score: Double, ciLow: Double, ciHigh: Double) {
        self.completed = completed
        self.samples = samples
        self.errors = errors
        self.score = score
        self.ciLow = ciLow
        self.ciHigh = ciHigh
    }
    enum CodingKeys: String, CodingKey {
        case completed, samples, errors, score
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
    }
}

/// One line of the log, tagged by `"type"`: `header`, `sample` or `footer`.
public enum RunLogLine: Sendable, Equatable, Codable {
    case header(RunHeader)
    case sample(SampleRecord)
    case footer(RunFooter)

    enum TypeKey: String, CodingKey { case type }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: TypeKey.self)
        switch try c.decode(String.self, forKey: .type) {
        case "header": self = .header(try RunHeader(from: decoder))
        case "sample": self = .sample(try SampleRecord(from: decoder))
        case "footer": self = .footer(try RunFooter(from: decoder))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown line type \(other.debugDescription)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .header(let header): try c.encode("header", forKey: .type); try header.encode(to: encoder)
        case .sample(let record): try c.encode("sample", forKey: .type); try record.encode(to: encoder)
        case .footer(let footer): try c.encode("footer", forKey: .type); try footer.encode(to: encoder)
        }
    }
}

public enum RunLog {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            // The same text as `timestampFormatter` writes, without loading ICU's time zone data
            // (about 10 ms of a short run's start).
            var text = JSONBytes(capacity: 26)
            text.timestamp(date)
            var c = encoder.singleValueContainer()
            try c.encode(String(decoding: text.bytes.dropFirst().dropLast(), as: UTF8.self))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = timestampFormatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 timestamp: \(text)")
            }
            return date
        }
        return decoder
    }

    /// Shared by every sample task of a run. A configured JSONEncoder keeps no state between
    /// `encode` calls (each builds its own encoding context), so concurrent use is safe.
    static let lineEncoder = encoder()

    // ISO8601DateFormatter is thread-safe for formatting/parsing once configured.
    nonisolated(unsafe) static let timestampFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// One complete line, newline-terminated, ready to append with a single write (a single
    /// write keeps concurrent appenders in one process from interleaving inside a line).
    public static func encodeLine(_ line: RunLogLine) throws -> Data {
        if case .sample(let record) = line, let bytes = try? sampleLine(record) { return Data(bytes) }
        var data = try lineEncoder.encode(line)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// A sample's line written by hand, byte for byte what `lineEncoder` writes for it (one is
    /// written per sample, so this is on the hot path; headers and footers keep the encoder).
    /// Members in sorted key order. Throws only for a non-finite number, which the encoder refuses too.
    static func sampleLine(_ record: SampleRecord) throws(JSONBytes.NonFinite) -> [UInt8] {
        var out = JSONBytes(capacity: 512 + (record.request?.utf8.count ?? 0) + (record.response?.utf8.count ?? 0))
        out.raw("{")
        out.key("epoch"); out.int(record.epoch)
        if let error = record.error { out.raw(","); out.key("error"); out.string(error) }
        out.raw(","); out.key("input")
        switch record.input {
        case .text(let text): out.string(text)
        case .messages(let messages):
            out.raw("[")
            for (i, message) in messages.enumerated() {
                if i > 0 { out.raw(",") }
                out.raw("{"); out.key("content"); out.string(message.content)
                out.raw(","); out.key("role"); out.string(message.role); out.raw("}")
            }
            out.raw("]")
        }
        out.raw(","); out.key("metadata"); try out.object(record.metadata)
        if let output = record.output { out.raw(","); out.key("output"); out.string(output) }
        if let request = record.request { out.raw(","); out.key("request"); out.string(request) }
        if let response = record.response { out.raw(","); out.key("response"); out.string(response) }
        out.raw(","); out.key("sample_id"); out.string(record.sampleID)
        if let score = record.score {
            out.raw(","); out.key("score"); out.raw("{")
            if let answer = score.answer { out.key("answer"); out.string(answer); out.raw(",") }
            if let explanation = score.explanation { out.key("explanation"); out.string(explanation); out.raw(",") }
            out.key("value"); try out.double(score.value); out.raw("}")
        }
        out.raw(","); out.key("target"); out.raw("[")
        for (i, target) in record.target.enumerated() {
            if i > 0 { out.raw(",") }
            out.string(target)
        }
        out.raw("]")
        out.raw(","); out.key("timing"); out.raw("{")
        out.key("attempts"); out.int(record.timing.attempts)
        out.raw(","); out.key("completed"); out.timestamp(record.timing.completed)
        out.raw(","); out.key("started"); out.timestamp(record.timing.started); out.raw("}")
        out.raw(","); out.key("type"); out.raw("\"sample\"")
        if let usage = record.usage {
            out.raw(","); out.key("usage"); out.raw("{"); out.key("input_tokens"); out.int(usage.inputTokens)
            out.raw(","); out.key("output_tokens"); out.int(usage.outputTokens); out.raw("}")
        }
        out.raw("}\n")
        return out.bytes
    }

    public struct Contents: Sendable {
        public var header: RunHeader?
        /// The record in force for each key, in first-seen order: a successful record is never
        /// replaced; an errored one is replaced by a later attempt (a resumed run retries errors).
        public var records: [SampleRecord]
        public var footer: RunFooter?
        /// A last line cut off by a crash was dropped.
        public var truncatedTail: Bool
        /// Byte length of the intact prefix: truncate the file to this before appending again,
        /// or the next line would be glued to the broken one.
        public var validLength: Int
        /// The intact prefix ends in a complete record without "\n": write one before appending.
        public var missingFinalNewline: Bool
        /// Sample lines for a key already finished (would be double counting); ignored, counted here.
        public var duplicates: Int

        /// Keys that need no more work: scored samples. Errored ones are retried on resume unless
        /// `includingErrors` is set.
        public func finishedKeys(includingErrors: Bool = false) -> Set<SampleKey> {
            Set(records.filter { includingErrors || $0.error == nil }.map(\.key))
        }
    }

    /// Reads a log. Tolerates exactly one kind of damage: an unterminated last line that does not
    /// parse (a crash mid-write). Any other bad line is an error naming its line number.
    public static func read(_ data: Data) throws -> Contents {
        let decoder = decoder()
        var contents = Contents(header: nil, records: [], footer: nil, truncatedTail: false, validLength: 0, missingFinalNewline: false, duplicates: 0)
        var index: [SampleKey: Int] = [:]
        var lineNumber = 0
        var start = data.startIndex
        while start < data.endIndex {
            lineNumber += 1
            let newline = data[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? data.endIndex
            let lineData = data[start..<end]
            let next = newline.map { $0 + 1 } ?? data.endIndex
            defer { start = next }
            if lineData.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                if newline != nil { contents.validLength = next - data.startIndex }
                continue
            }
            let line: RunLogLine
            do { line = try decoder.decode(RunLogLine.self, from: Data(lineData)) } catch {
                if newline == nil {
                    contents.truncatedTail = true
                    break
                }
                throw benchmarkError(from: error, root: "line \(lineNumber): $")
            }
            // A parsable last line without its newline is kept; the appender must add the newline first.
            if newline == nil { contents.missingFinalNewline = true }
            contents.validLength = next - data.startIndex
            switch line {
            case .header(let header):
                guard contents.header == nil, lineNumber == 1 || contents.records.isEmpty else {
                    throw BenchmarkError.invalidInput(location: "line \(lineNumber)", reason: "second header in one log")
                }
                contents.header = header
            case .sample(let record):
                guard contents.header != nil else {
                    throw BenchmarkError.invalidInput(location: "line \(lineNumber)", reason: "sample before the header")
                }
                if let existing = index[record.key] {
                    if contents.records[existing].error != nil {
                        contents.records[existing] = record
                    } else {
                        contents.duplicates += 1
                    }
                } else {
                    index[record.key] = contents.records.count
                    contents.records.append(record)
                }
            case .footer(let footer):
                contents.footer = footer
            }
        }
        return contents
    }

    public static func read(path: String) throws -> Contents {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw BenchmarkError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try read(data)
    }
}
