// Streams the results out of a SARIF 2.1.0 log without holding the log: bytes go in chunk by
// chunk, and each `runs[r].results[i]` comes out as soon as its closing brace arrives. Memory is
// bounded by the largest single result (or other top-level member) plus one chunk, whatever the
// number of results. Members other than `version`, `runs[].tool` and `runs[].results` are read
// and dropped one at a time.
import Foundation

/// One result of a SARIF log, with where it sits and the tool of its run.
public struct SARIFResultItem: Sendable {
    public let run: Int
    public let index: Int
    /// `runs[run].tool.driver.name` when the log gives it before the results (tools write it first).
    public let toolName: String?
    public let result: JSONDocument
    /// `$.runs[r].results[i]`: where an error in this result is reported.
    public var path: String { "$.runs[\(run)].results[\(index)]" }
}

public struct SARIFStream {
    private enum State {
        case document
        case topMember(first: Bool)
        case runItem(first: Bool)
        case runMember(first: Bool)
        case resultItem(first: Bool)
        case done
    }

    private var reader = JSONReader(bytes: [], final: false)
    private var state = State.document
    private var runIndex = -1
    private var resultIndex = 0
    private var toolName: String?
    /// The log's `version`, once read (2.1.0 is the only one accepted).
    public private(set) var version: String?

    public init() {}

    /// Appends the next chunk of the log.
    public mutating func feed(_ chunk: some Collection<UInt8>) {
        reader.compact()
        reader.bytes.append(contentsOf: chunk)
    }

    /// Says no more bytes will come.
    public mutating func finish() { reader.final = true }

    /// Bytes the stream holds (at most one chunk plus the unfinished value being read).
    public var bufferedByteCount: Int { reader.bytes.count }

    public var isFinished: Bool { if case .done = state { return true } else { return false } }

    /// The next result, or nil when the bytes so far hold no complete one (feed more, or the log
    /// has ended: see `isFinished`). Throws on malformed JSON or a log that is not SARIF 2.1.0.
    public mutating func next() throws(SARIFStreamError) -> SARIFResultItem? {
        while true {
            let saved = reader.position
            do throws(JSONReadStop) {
                if let item = try step() { return item }
                if case .done = state {
                    try reader.skipWhitespace()
                    if reader.final && reader.position < reader.bytes.count {
                        throw reader.fail("unexpected data after the log")
                    }
                    return nil
                }
            } catch {
                switch error {
                case .needMore:
                    reader.position = saved
                    return nil
                case .syntax(let syntax):
                    throw .syntax(syntax)
                }
            }
        }
    }

    /// One atomic step: it either completes and moves the state on, or throws having changed nothing
    /// but the reader's position (which `next` restores).
    private mutating func step() throws(JSONReadStop) -> SARIFResultItem? {
        switch state {
        case .document:
            try reader.expect(UInt8(ascii: "{"), "a SARIF log object")
            state = .topMember(first: true)
        case .topMember(let first):
            guard let key = try memberKey(first: first, close: UInt8(ascii: "}")) else {
                guard version != nil else { throw structure("$.version", "is required") }
                state = .done
                return nil
            }
            switch key {
            case "runs":
                state = try openArray("$.runs") ? .runItem(first: true) : .topMember(first: false)
            case "version":
                let value = try reader.value()
                guard value.string == "2.1.0" else { throw structure("$.version", "must be \"2.1.0\"") }
                version = "2.1.0"
                state = .topMember(first: false)
            default:
                _ = try reader.value()
                state = .topMember(first: false)
            }
        case .runItem(let first):
            guard try nextItem(first: first, in: "$.runs") else {
                state = .topMember(first: false)
                return nil
            }
            try reader.expect(UInt8(ascii: "{"), "a run object in $.runs")
            runIndex += 1
            toolName = nil
            state = .runMember(first: true)
        case .runMember(let first):
            guard let key = try memberKey(first: first, close: UInt8(ascii: "}")) else {
                state = .runItem(first: false)
                return nil
            }
            switch key {
            case "results":
                resultIndex = 0
                state = try openArray("$.runs[\(runIndex)].results") ? .resultItem(first: true) : .runMember(first: false)
            case "tool":
                let tool = try reader.value()
                toolName = tool["driver"]?["name"]?.string
                state = .runMember(first: false)
            default:
                _ = try reader.value()
                state = .runMember(first: false)
            }
        case .resultItem(let first):
            guard try nextItem(first: first, in: "$.runs[\(runIndex)].results") else {
                state = .runMember(first: false)
                return nil
            }
            let value = try reader.value()
            let item = SARIFResultItem(run: runIndex, index: resultIndex, toolName: toolName, result: value)
            resultIndex += 1
            state = .resultItem(first: false)
            return item
        case .done:
            return nil
        }
        return nil
    }

    /// Opens the array at `path`: true when it is an array, false when it is `null` (SARIF allows both).
    private mutating func openArray(_ path: String) throws(JSONReadStop) -> Bool {
        if try reader.peek() == UInt8(ascii: "n") {
            try reader.literal("null")
            return false
        }
        try reader.expect(UInt8(ascii: "["), "an array at \(path)")
        return true
    }

    /// Moves to the next array element (past the ',' unless first); false when the array closes.
    private mutating func nextItem(first: Bool, in path: String) throws(JSONReadStop) -> Bool {
        if try reader.peek() == UInt8(ascii: "]") {
            reader.position += 1
            return false
        }
        if !first { try reader.expect(UInt8(ascii: ","), "',' or ']' in \(path)") }
        return true
    }

    /// Reads `"key":` (after a ',' unless first); nil when the object closes instead.
    private mutating func memberKey(first: Bool, close: UInt8) throws(JSONReadStop) -> String? {
        if try reader.peek() == close {
            reader.position += 1
            return nil
        }
        if !first { try reader.expect(UInt8(ascii: ","), "',' or '}'") }
        guard try reader.peek() == UInt8(ascii: "\"") else { throw reader.fail("expected a member name") }
        let key = try reader.string()
        try reader.expect(UInt8(ascii: ":"), "':'")
        return key
    }

    private func structure(_ path: String, _ reason: String) -> JSONReadStop {
        .syntax(JSONSyntaxError(offset: reader.base + reader.position, reason: "\(path) \(reason)"))
    }

    /// Drives a stream over `nextChunk` (nil at the end), handing each result to `body` in order.
    public static func forEachResult(
        nextChunk: () async throws -> [UInt8]?, _ body: (SARIFResultItem) async throws -> Void
    ) async throws {
        var stream = SARIFStream()
        while true {
            while let item = try stream.next() { try await body(item) }
            if stream.isFinished { return }
            guard let chunk = try await nextChunk() else {
                stream.finish()
                while let item = try stream.next() { try await body(item) }
                guard stream.isFinished else { throw SARIFStreamError.syntax(JSONSyntaxError(offset: stream.reader.base + stream.reader.bytes.count, reason: "unexpected end of input")) }
                return
            }
            stream.feed(chunk)
        }
    }
}

public enum SARIFStreamError: Error, Equatable, CustomStringConvertible {
    case syntax(JSONSyntaxError)
    public var description: String {
        switch self { case .syntax(let e): return e.description }
    }
}
