// Wire shapes of the frontier API (snake_case keys, ISO 8601 times), kept apart from the stored
// records so either can change without the other. The endpoint credential appears only in
// CredentialDTO, which only the credential route returns.
import Foundation
import Frontier
import Hummingbird
import HTTPTypes
import NIOCore
import Platform

enum FrontierJSON {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// 201 with a Location header naming the new record.
    static func created<T: Encodable>(_ value: T, at location: String) throws -> Response {
        var response = try response(value, status: .created)
        response.headers[.location] = location
        return response
    }
}

struct FrontierPage<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var limit: Int
    var offset: Int
    var total: Int?
}

struct LabelDTO: Codable, Sendable {
    var tlp: String
    var orgs: [String]?
    var users: [String]?
    var compartments: [String]?

    init(_ label: AccessLabel) {
        tlp = label.tlp.name
        orgs = label.orgs
        users = label.users
        compartments = label.compartments
    }

    func label(owner: String) throws -> AccessLabel {
        guard let level = TLP(name: tlp) else { throw DomainError.invalid(field: "$.label.tlp", reason: "use CLEAR, GREEN, AMBER, AMBER+STRICT or RED") }
        return AccessLabel(tlp: level, ownerOrg: owner, orgs: orgs ?? [], users: users ?? [], compartments: compartments ?? [])
    }
}

struct ModelDTO: Encodable, Sendable {
    let id: String, name: String, developerOrg: String, createdAt: Date, label: LabelDTO
    init(_ m: ModelRecord) { id = m.id; name = m.name; developerOrg = m.developerOrg; createdAt = m.createdAt; label = LabelDTO(m.label) }
}

struct ModelDetailDTO: Encodable, Sendable {
    let model: ModelDTO
    let versions: [VersionDTO]
}

struct VersionDTO: Encodable, Sendable {
    let id: String, modelId: String, modelName: String, version: String, modalities: [String], architecture: String
    let totalParameters: Double?, activeParameters: Double?, trainingTokens: Double?, trainingHardware: String?
    let trainingStarted: String?, trainingEnded: String?, plannedRelease: String?, endpointUrl: String?, hasEndpointCredential: Bool
    let releasedAt: Date?, createdAt: Date, developerOrg: String, label: LabelDTO

    init(_ v: VersionRecord) {
        id = v.id; modelId = v.modelId; modelName = v.modelName; version = v.version; modalities = v.modalities; architecture = v.architecture
        totalParameters = v.totalParameters; activeParameters = v.activeParameters; trainingTokens = v.trainingTokens
        trainingHardware = v.trainingHardware; trainingStarted = v.trainingStarted; trainingEnded = v.trainingEnded
        plannedRelease = v.plannedRelease; endpointUrl = v.endpointURL; hasEndpointCredential = v.hasCredential
        releasedAt = v.releasedAt; createdAt = v.createdAt; developerOrg = v.developerOrg; label = LabelDTO(v.label)
    }
}

struct IntervalDTO: Encodable, Sendable {
    let low: Double, flop: Double, high: Double
    init(_ i: ComputeInterval) { low = i.low; flop = i.central; high = i.high }
}

struct LedgerItemDTO: Encodable, Sendable {
    let id: String, position: Int, label: String, category: String, method: String, basis: String, compute: IntervalDTO
    init(_ s: StoredLedgerItem) {
        id = s.id; position = s.position; label = s.item.label; category = s.item.category.rawValue
        method = s.item.estimate.method.rawValue; basis = s.item.estimate.basis; compute = IntervalDTO(s.item.estimate.interval)
    }
}

struct ItemDecisionDTO: Encodable, Sendable {
    let label: String, category: String, counts: Bool, reason: String
}

struct VerdictDTO: Encodable, Sendable {
    let policy: String, version: String, verdict: String, explanation: String
    let countedCompute: IntervalDTO?
    let itemDecisions: [ItemDecisionDTO]

    init(_ v: PolicyVerdict) {
        policy = v.policyID; version = v.policyVersion; verdict = v.verdict.rawValue; explanation = v.explanation
        countedCompute = v.countedCompute.map(IntervalDTO.init)
        itemDecisions = v.itemDecisions.map { ItemDecisionDTO(label: $0.label, category: $0.category.rawValue, counts: $0.counts, reason: $0.reason) }
    }
}

struct DesignationDTO: Encodable, Sendable {
    let id: String, inquiryId: String, designation: String, rationale: String, recordedAt: Date, recordedBy: String, reviewerOrg: String, label: LabelDTO
    init(_ d: DesignationRecord) {
        id = d.id; inquiryId = d.inquiryId; designation = d.designation.rawValue; rationale = d.rationale; recordedAt = d.recordedAt
        recordedBy = d.recordedBy; reviewerOrg = d.reviewerOrg; label = LabelDTO(d.label)
    }
}

struct InquiryDTO: Encodable, Sendable {
    let id: String, versionId: String, question: String, openedAt: Date, openedBy: String, designations: [DesignationDTO]
    init(_ q: InquiryRecord) {
        id = q.id; versionId = q.versionId; question = q.question; openedAt = q.openedAt; openedBy = q.openedBy
        designations = q.designations.map(DesignationDTO.init)
    }
}

struct InviteeDTO: Encodable, Sendable {
    let org: String, acceptedAt: Date?, acceptedTermsVersion: String?
}

struct WindowDTO: Encodable, Sendable {
    let id: String, versionId: String, startsAt: Date, endsAt: Date, termsVersion: String, withdrawnAt: Date?, status: String
    let timeRemaining: String, invitees: [InviteeDTO]
    init(_ w: WindowRecord, now: Date) {
        id = w.id; versionId = w.versionId; startsAt = w.startsAt; endsAt = w.endsAt; termsVersion = w.termsVersion; withdrawnAt = w.withdrawnAt
        status = w.status(at: now).rawValue
        timeRemaining = FrontierViews.clock(w, now: now)
        invitees = w.invitees.map { InviteeDTO(org: $0.orgId, acceptedAt: $0.acceptedAt, acceptedTermsVersion: $0.acceptedTermsVersion) }
    }
}

struct VersionDetailDTO: Encodable, Sendable {
    let version: VersionDTO
    let ledger: [LedgerItemDTO]
    let verdicts: [VerdictDTO]
    let windows: [WindowDTO]
    let inquiries: [InquiryDTO]
}

struct NotificationDTO: Encodable, Sendable {
    let versionId: String
    let designation: DesignationDTO
}

struct CredentialDTO: Encodable, Sendable { let endpointCredential: String }

struct PolicyVersionDTO: Encodable, Sendable {
    let policy: String, version: String, effectiveDate: String, origin: String, current: Bool?, title: String
}

struct TermsDTO: Encodable, Sendable { let version: String, body: String, publishedAt: Date }

struct ReferenceModelDTO: Encodable, Sendable {
    let name: String, organization: String, publicationDate: String, trainingComputeFlop: Double
}

// MARK: inputs

struct CreateModelInput: APIInput {
    static let fields: Set<String> = ["name", "label"]
    let name: String
    let label: LabelDTO?
}

struct CreateVersionInput: APIInput {
    static let fields: Set<String> = ["version", "modalities", "architecture", "total_parameters", "active_parameters", "training_tokens",
                                      "training_hardware", "training_started", "training_ended", "planned_release", "endpoint_url", "endpoint_credential"]
    let version: String
    let modalities: [String]?
    let architecture: String?
    let totalParameters: Double?
    let activeParameters: Double?
    let trainingTokens: Double?
    let trainingHardware: String?
    let trainingStarted: String?
    let trainingEnded: String?
    let plannedRelease: String?
    let endpointUrl: String?
    let endpointCredential: String?

    enum CodingKeys: String, CodingKey {
        case version, modalities, architecture
        case totalParameters = "total_parameters", activeParameters = "active_parameters", trainingTokens = "training_tokens"
        case trainingHardware = "training_hardware", trainingStarted = "training_started", trainingEnded = "training_ended"
        case plannedRelease = "planned_release", endpointUrl = "endpoint_url", endpointCredential = "endpoint_credential"
    }

    func versionInput() throws -> VersionInput {
        var v = VersionInput(version: version)
        v.modalities = modalities ?? []
        v.architecture = architecture ?? "dense"
        v.totalParameters = totalParameters; v.activeParameters = activeParameters; v.trainingTokens = trainingTokens
        v.trainingHardware = trainingHardware; v.trainingStarted = trainingStarted; v.trainingEnded = trainingEnded
        v.plannedRelease = plannedRelease; v.endpointURL = endpointUrl; v.endpointCredential = endpointCredential
        return v
    }
}

struct OpenInquiryInput: APIInput {
    static let fields: Set<String> = ["question", "government_orgs"]
    let question: String
    let governmentOrgs: [String]
    enum CodingKeys: String, CodingKey { case question, governmentOrgs = "government_orgs" }
}

struct DesignationInput: APIInput {
    static let fields: Set<String> = ["designation", "rationale", "label"]
    let designation: String
    let rationale: String
    let label: LabelDTO?
}

struct OpenWindowInput: APIInput {
    static let fields: Set<String> = ["starts_at", "ends_at", "invitees"]
    let startsAt: String
    let endsAt: String
    let invitees: [String]
    enum CodingKeys: String, CodingKey { case startsAt = "starts_at", endsAt = "ends_at", invitees }
}

struct AcceptInput: APIInput {
    static let fields: Set<String> = ["terms_version"]
    let termsVersion: String
    enum CodingKeys: String, CodingKey { case termsVersion = "terms_version" }
}

struct ExtendInput: APIInput {
    static let fields: Set<String> = ["ends_at"]
    let endsAt: String
    enum CodingKeys: String, CodingKey { case endsAt = "ends_at" }
}

struct PublishTermsInput: APIInput {
    static let fields: Set<String> = ["version", "body"]
    let version: String
    let body: String
}
