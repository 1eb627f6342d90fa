// One evaluation sample in Inspect AI's field conventions: `input` (text or chat messages), `target`
// (one or several acceptable answers), optional `choices`, an `id` and free-form `metadata`.
import Foundation
import Platform

public struct ChatMessage: Sendable, Equatable, Hashable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// Roles a chat-completions endpoint accepts; anything else is rejected at load time.
    public static let knownRoles: Set<String> = ["system", "user", "assistant", "tool"]
}

public enum SampleInput: Sendable, Equatable, Hashable, Codable {
    case text(String)
    case messages([ChatMessage])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .messages(try container.decode([ChatMessage].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .messages(let messages): try container.encode(messages)
        }
    }

    /// The conversation to send, with an optional system message placed first (a suite's system
    /// message goes before any the dataset brings, as Inspect's `system_message` solver does).
    public func messages(systemMessage: String? = nil) -> [ChatMessage] {
        var result: [ChatMessage] = []
        if let systemMessage, !systemMessage.isEmpty { result.append(ChatMessage(role: "system", content: systemMessage)) }
        switch self {
        case .text(let text): result.append(ChatMessage(role: "user", content: text))
        case .messages(let messages): result.append(contentsOf: messages)
        }
        return result
    }

    /// The text of the last user turn (what a multiple-choice template wraps).
    public var lastUserText: String {
        switch self {
        case .text(let text): return text
        case .messages(let messages): return messages.last(where: { $0.role == "user" })?.content ?? ""
        }
    }
}

public struct Sample: Sendable, Equatable, Hashable, Codable {
    /// Inspect allows integer or string ids; we keep the text form. Absent ids become the 1-based
    /// position in the dataset, as Inspect assigns them.
    public var id: String
    public var input: SampleInput
    /// Empty when the task has no reference answer (e.g. refusal tests).
    public var target: [String]
    public var choices: [String]?
    public var metadata: [String: JSONValue]

    public init(id: String, input: SampleInput, target: [String] = [], choices: [String]? = nil, metadata: [String: JSONValue] = [:]) {
        self.id = id
        self.input = input
        self.target = target
        self.choices = choices
        self.metadata = metadata
    }
}
