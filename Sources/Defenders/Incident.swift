// An incident of AI-enabled intrusion (EO 14409 §4) as filed, and the checks a filing must pass.
// Checks run before anything is written, and each failure names the field, so a bad filing leaves
// the database exactly as it was.
import Foundation
import Platform

/// An indicator of compromise, in the STIX cyber-observable vocabulary.
public struct Indicator: Sendable, Codable, Equatable {
    /// `ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `email-addr`, `file-sha256`.
    public var type: String
    public var value: String
    public init(type: String, value: String) { self.type = type; self.value = value }

    public static let types = ["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file-sha256"]
}

/// What shows that AI did the work: the reason this incident is a §4 matter.
public struct AIEvidence: Sendable, Codable, Equatable {
    /// Agent traces or tool-call logs recovered (described; the files go in evidence).
    public var agentTraces: String = ""
    /// Prompts seen or recovered.
    public var prompts: String = ""
    /// Tooling: frameworks, model names, API keys' providers.
    public var tooling: String = ""
    /// Rate and scale of activity (e.g. "40 000 requests in 6 minutes across 300 hosts").
    public var rateAndScale: String = ""

    public init(agentTraces: String = "", prompts: String = "", tooling: String = "", rateAndScale: String = "") {
        self.agentTraces = agentTraces; self.prompts = prompts; self.tooling = tooling; self.rateAndScale = rateAndScale
    }
    enum CodingKeys: String, CodingKey { case agentTraces = "agent_traces", prompts, tooling, rateAndScale = "rate_and_scale" }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        agentTraces = try c.decodeIfPresent(String.self, forKey: .agentTraces) ?? ""
        prompts = try c.decodeIfPresent(String.self, forKey: .prompts) ?? ""
        tooling = try c.decodeIfPresent(String.self, forKey: .tooling) ?? ""
        rateAndScale = try c.decodeIfPresent(String.self, forKey: .rateAndScale) ?? ""
    }
    var isEmpty: Bool { [agentTraces, prompts, tooling, rateAndScale].allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
}

/// Losses as the victim states them.
public struct Losses: Sendable, Codable, Equatable {
    public var amountUSD: Int64?
    public var description: String
    public init(amountUSD: Int64? = nil, description: String = "") { self.amountUSD = amountUSD; self.description = description }
    enum CodingKeys: String, CodingKey { case amountUSD = "amount_usd", description }
}

/// An evidence file as received (plain bytes; sealed before storage).
public struct EvidenceUpload: Sendable {
    public var name: String
    public var mediaType: String
    public var content: [UInt8]
    public init(name: String, mediaType: String = "application/octet-stream", content: [UInt8]) {
        self.name = name; self.mediaType = mediaType; self.content = content
    }
}

/// A filing, with times as the reporter wrote them (RFC 3339) so a bad one can be named.
public struct IncidentDraft: Sendable {
    public var title: String
    public var summary: String
    public var startedAt: String?
    public var detectedAt: String?
    /// The victim organisation's name when a defender or reviewer files on its behalf.
    public var onBehalfOf: String?
    public var systemsAffected: [String] = []
    public var dataAffected: [String] = []
    public var indicators: [Indicator] = []
    public var aiEvidence = AIEvidence()
    public var losses = Losses()
    public var facts = IncidentFacts()
    /// Organisations and users of coordinators who may read the incident from the start.
    public var coordinatorOrgs: [String] = []
    public var coordinatorUsers: [String] = []
    public var evidence: [EvidenceUpload] = []

    public init(title: String, summary: String, startedAt: String?, detectedAt: String?) {
        self.title = title; self.summary = summary; self.startedAt = startedAt; self.detectedAt = detectedAt
    }
}

/// How the filer stands to the incident.
public enum FiledAs: String, Sendable, Codable {
    case victim, defender, reviewer
}

/// An evidence file's record: the digest was computed from the bytes as received.
public struct EvidenceRecord: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var mediaType: String
    public var size: Int64
    public var sha256: String
    public var receivedAt: Date
    public var receivedBy: String
    enum CodingKeys: String, CodingKey { case id, name, mediaType = "media_type", size, sha256, receivedAt = "received_at", receivedBy = "received_by" }
}

public struct Incident: Sendable, Equatable {
    public var id: String
    public var title: String
    public var summary: String
    public var startedAt: Date
    public var detectedAt: Date
    public var filedAt: Date
    public var filedBy: String
    public var filedAs: FiledAs
    public var onBehalfOf: String?
    public var systemsAffected: [String]
    public var dataAffected: [String]
    public var indicators: [Indicator]
    public var aiEvidence: AIEvidence
    public var losses: Losses
    public var facts: IncidentFacts
    public var confirmedTags: [ConfirmedTag]
    public var confirmedBy: String?
    public var confirmedAt: Date?
    public var label: AccessLabel
    public var evidence: [EvidenceRecord]

    /// Computed on every read from the stored facts, so a rule change shows at once.
    public var suggestions: [StatuteSuggestion] { StatuteRules.suggest(facts) }
}

/// The JSON body stored with an incident (the parts no query filters on).
struct IncidentBody: Codable {
    var summary: String
    var onBehalfOf: String?
    var systemsAffected: [String]
    var dataAffected: [String]
    var indicators: [Indicator]
    var aiEvidence: AIEvidence
    var losses: Losses
    var facts: IncidentFacts
}

public enum IncidentLimits {
    public static let defaultMaxEvidenceBytes = 25 * 1024 * 1024
    public static let maxEvidenceFiles = 50
    public static let maxText = 100_000
}

enum IncidentValidation {
    static func time(_ text: String?, field: String) throws -> Date {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DomainError.invalid(field: field, reason: "is required: an RFC 3339 time such as 2026-11-20T14:05:00Z")
        }
        guard let date = Date.parseISO8601(text) else {
            throw DomainError.invalid(field: field, reason: "\"\(text)\" is not an RFC 3339 time (e.g. 2026-11-20T14:05:00Z)")
        }
        return date
    }

    static func text(_ value: String, field: String, required: Bool) throws -> String {
        let t = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && t.isEmpty { throw DomainError.invalid(field: field, reason: "is required") }
        if t.count > IncidentLimits.maxText { throw DomainError.invalid(field: field, reason: "is longer than \(IncidentLimits.maxText) characters") }
        return t
    }

    static func evidence(_ e: EvidenceUpload, field: String, maxBytes: Int) throws {
        let name = e.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { throw DomainError.invalid(field: field + ".name", reason: "is required") }
        if name.contains("/") || name.contains("\\") || name.hasPrefix(".") || name.count > 200 {
            throw DomainError.invalid(field: field + ".name", reason: "must be a plain file name (no slashes, not starting with a dot, at most 200 characters)")
        }
        if e.content.isEmpty { throw DomainError.invalid(field: field + ".content", reason: "is empty") }
        if e.content.count > maxBytes {
            throw DomainError.invalid(field: field + ".content", reason: "is \(e.content.count) bytes; the limit for one evidence file is \(maxBytes) bytes")
        }
    }

    static func indicator(_ i: Indicator, field: String) throws {
        guard Indicator.types.contains(i.type) else {
            throw DomainError.invalid(field: field + ".type", reason: "\"\(i.type)\" is not one of \(Indicator.types.joined(separator: ", "))")
        }
        let v = i.value.trimmingCharacters(in: .whitespaces)
        if v.isEmpty || v.contains("'") || v.contains("\\") {
            throw DomainError.invalid(field: field + ".value", reason: "must be non-empty and contain no quote or backslash")
        }
        if i.type == "file-sha256", v.range(of: "^[0-9a-fA-F]{64}$", options: .regularExpression) == nil {
            throw DomainError.invalid(field: field + ".value", reason: "must be 64 hexadecimal digits")
        }
    }
}
