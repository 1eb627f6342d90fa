// Wire types of the incident API: inputs (with the fields they accept) and answers. The answers
// always carry the statute-tag notice, because the tags are suggestions, not legal conclusions.
import Defenders
import Foundation
import Platform

struct EvidenceInput: APIInput {
    static let fields: Set<String> = ["name", "media_type", "content_base64"]
    let name: String
    let mediaType: String?
    let contentBase64: String
    enum CodingKeys: String, CodingKey { case name, mediaType = "media_type", contentBase64 = "content_base64" }

    func upload(field: String) throws -> EvidenceUpload {
        guard let data = Data(base64Encoded: contentBase64) else {
            throw DomainError.invalid(field: field + ".content_base64", reason: "is not base64")
        }
        return EvidenceUpload(name: name, mediaType: mediaType ?? "application/octet-stream", content: Array(data))
    }
}

struct FileIncidentInput: APIInput {
    static let fields: Set<String> = ["title", "summary", "started_at", "detected_at", "on_behalf_of", "systems_affected", "data_affected",
                                      "indicators", "ai_evidence", "losses", "facts", "coordinator_orgs", "coordinator_users", "evidence"]
    let title: String
    let summary: String
    let startedAt: String?
    let detectedAt: String?
    let onBehalfOf: String?
    let systemsAffected: [String]?
    let dataAffected: [String]?
    let indicators: [Indicator]?
    let aiEvidence: AIEvidence?
    let losses: Losses?
    let facts: IncidentFacts?
    let coordinatorOrgs: [String]?
    let coordinatorUsers: [String]?
    let evidence: [EvidenceInput]?
    enum CodingKeys: String, CodingKey {
        case title, summary, startedAt = "started_at", detectedAt = "detected_at", onBehalfOf = "on_behalf_of"
        case systemsAffected = "systems_affected", dataAffected = "data_affected", indicators, aiEvidence = "ai_evidence"
        case losses, facts, coordinatorOrgs = "coordinator_orgs", coordinatorUsers = "coordinator_users", evidence
    }

    func draft() throws -> IncidentDraft {
        var d = IncidentDraft(title: title, summary: summary, startedAt: startedAt, detectedAt: detectedAt)
        d.onBehalfOf = onBehalfOf
        d.systemsAffected = systemsAffected ?? []
        d.dataAffected = dataAffected ?? []
        d.indicators = indicators ?? []
        d.aiEvidence = aiEvidence ?? AIEvidence()
        d.losses = losses ?? Losses()
        d.facts = facts ?? IncidentFacts()
        d.coordinatorOrgs = coordinatorOrgs ?? []
        d.coordinatorUsers = coordinatorUsers ?? []
        d.evidence = try (evidence ?? []).enumerated().map { try $1.upload(field: "$.evidence[\($0)]") }
        return d
    }
}

struct ConfirmTagsInput: APIInput {
    static let fields: Set<String> = ["tags", "note"]
    let tags: [String]
    let note: String?
}

struct ShareIncidentInput: APIInput {
    static let fields: Set<String> = ["tlp", "orgs", "users"]
    let tlp: String
    let orgs: [String]?
    let users: [String]?
}

struct EvidenceDTO: Encodable, Sendable {
    var id: String, name: String, media_type: String, size: Int64, sha256: String, received_at: String, received_by: String
    init(_ r: EvidenceRecord) {
        id = r.id; name = r.name; media_type = r.mediaType; size = r.size; sha256 = r.sha256
        received_at = r.receivedAt.iso8601; received_by = r.receivedBy
    }
}

struct IncidentSummaryDTO: Encodable, Sendable {
    var id: String, title: String, started_at: String, filed_at: String, filed_by: String, tlp: String, confirmed_tags: [String]
    init(_ s: IncidentSummary) {
        id = s.id; title = s.title; started_at = s.startedAt.iso8601; filed_at = s.filedAt.iso8601; filed_by = s.filedBy
        tlp = s.tlp.name; confirmed_tags = s.confirmedTags
    }
}

struct IncidentDTO: Encodable, Sendable {
    struct Tags: Encodable, Sendable {
        var notice: String, suggested: [StatuteSuggestion], confirmed: [ConfirmedTag], confirmed_by: String?, confirmed_at: String?
    }
    var id: String, title: String, summary: String, started_at: String, detected_at: String, filed_at: String
    var filed_by: String, filed_as: String, on_behalf_of: String?, tlp: String, reporting_org: String
    var shared_orgs: [String], systems_affected: [String], data_affected: [String], indicators: [Indicator]
    var ai_evidence: AIEvidence, losses: Losses, facts: IncidentFacts, statute_tags: Tags, evidence: [EvidenceDTO]
    init(_ i: Incident) {
        id = i.id; title = i.title; summary = i.summary; started_at = i.startedAt.iso8601; detected_at = i.detectedAt.iso8601
        filed_at = i.filedAt.iso8601; filed_by = i.filedBy; filed_as = i.filedAs.rawValue; on_behalf_of = i.onBehalfOf
        tlp = i.label.tlp.name; reporting_org = i.label.ownerOrg; shared_orgs = i.label.orgs
        systems_affected = i.systemsAffected; data_affected = i.dataAffected; indicators = i.indicators
        ai_evidence = i.aiEvidence; losses = i.losses; facts = i.facts
        statute_tags = Tags(notice: StatuteRules.notice, suggested: i.suggestions, confirmed: i.confirmedTags,
                            confirmed_by: i.confirmedBy, confirmed_at: i.confirmedAt?.iso8601)
        evidence = i.evidence.map(EvidenceDTO.init)
    }
}
