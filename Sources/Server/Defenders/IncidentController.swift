// The incident API under /api/v1/incidents (EO 14409 §4): file an incident of AI-enabled intrusion,
// list and read the ones the caller may see, add evidence, confirm statute tags, widen the audience,
// download evidence. Handlers decode, authorise, call IncidentStore, encode. Field names in errors
// are JSON paths into the request body.
import Defenders
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Platform

struct IncidentController {
    let services: AppServices
    var store: IncidentStore { IncidentStore(db: services.db, clock: services.clock, secrets: services.secrets) }

    static let routes: [(method: String, path: String)] = [
        ("post", "/api/v1/incidents"), ("get", "/api/v1/incidents"), ("get", "/api/v1/incidents/{id}"),
        ("post", "/api/v1/incidents/{id}/evidence"), ("get", "/api/v1/incidents/{id}/evidence/{evidence_id}"),
        ("post", "/api/v1/incidents/{id}/tags"), ("post", "/api/v1/incidents/{id}/share"),
        ("post", "/api/v1/incidents/{id}/feeds"), ("get", "/api/v1/incidents/{id}/feeds"),
    ]

    func register(on group: RouterGroup<AppContext>) {
        group.post("incidents", use: file)
        group.get("incidents", use: list)
        group.get("incidents/:id", use: get)
        group.post("incidents/:id/evidence", use: addEvidence)
        group.get("incidents/:id/evidence/:evidence_id", use: evidence)
        group.post("incidents/:id/tags", use: confirmTags)
        group.post("incidents/:id/share", use: share)
        group.post("incidents/:id/feeds", use: shareToFeed)
        group.get("incidents/:id/feeds", use: feeds)
    }


    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(FileIncidentInput.self, context: context)
        let draft = try input.draft()
        let incident = try await withJSONPaths { try await store.file(draft, by: reader) }
        var response = try Response.json(IncidentDTO(incident), status: .created)
        response.headers[.location] = "/api/v1/incidents/\(incident.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let filter = try IncidentListQuery.filter(Query(request))
        let page = try await store.list(reader: reader, filter: filter)
        return try .json(Page(items: page.items.map(IncidentSummaryDTO.init), total: page.total, limit: filter.limit, offset: filter.offset))
    }

    @Sendable func get(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        return try .json(IncidentDTO(try await store.incident(id: try context.parameters.require("id"), reader: reader)))
    }

    @Sendable func addEvidence(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(EvidenceInput.self, context: context)
        let upload = try input.upload(field: "$")
        let record = try await withJSONPaths { try await store.addEvidence(incidentId: try context.parameters.require("id"), upload, by: reader) }
        return try .json(EvidenceDTO(record), status: .created)
    }

    @Sendable func evidence(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let (record, bytes) = try await store.evidenceContent(
            incidentId: try context.parameters.require("id"), evidenceId: try context.parameters.require("evidence_id"), reader: reader)
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        response.headers[.contentType] = "application/octet-stream"
        response.headers[.contentDisposition] = "attachment; filename=\"\(record.name.replacingOccurrences(of: "\"", with: ""))\""
        response.headers[HTTPField.Name("Digest-SHA256")!] = record.sha256
        return response
    }

    @Sendable func confirmTags(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ConfirmTagsInput.self, context: context)
        let incident = try await withJSONPaths {
            try await store.confirmTags(incidentId: try context.parameters.require("id"), tags: input.tags, note: input.note ?? "", by: reader)
        }
        return try .json(IncidentDTO(incident))
    }

    @Sendable func share(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ShareIncidentInput.self, context: context)
        guard let tlp = TLP(name: input.tlp) else { throw DomainError.invalid(field: "$.tlp", reason: "must be clear, green, amber, amber+strict or red") }
        let incident = try await store.share(incidentId: try context.parameters.require("id"), tlp: tlp,
                                             orgs: input.orgs ?? [], users: input.users ?? [], by: reader)
        return try .json(IncidentDTO(incident))
    }

    /// The reporting organisation shares the incident into a threat-sharing collection it may write
    /// to, at the TLP it chooses; personal data stays out unless `include_personal` (see IncidentFeed).
    @Sendable func shareToFeed(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(FeedShareInput.self, context: context)
        let share = try await withJSONPaths { try await store.shareToCollection(incidentId: try context.parameters.require("id"), try input.request(), by: reader) }
        return try .json(FeedShareDTO(share), status: .created)
    }

    @Sendable func feeds(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let shares = try await store.feedShares(incidentId: try context.parameters.require("id"), reader: reader)
        return try .json(Page(items: shares.map(FeedShareDTO.init), total: shares.count, limit: shares.count, offset: 0))
    }
}

struct FeedShareInput: APIInput {
    static let fields: Set<String> = ["collection_id", "tlp", "include_personal", "personal_fields", "recipients"]
    let collectionId: String
    let tlp: String
    let includePersonal: Bool?
    let personalFields: [String]?
    let recipients: [String]?
    enum CodingKeys: String, CodingKey {
        case collectionId = "collection_id", tlp, includePersonal = "include_personal", personalFields = "personal_fields", recipients
    }

    func request() throws -> FeedShareRequest {
        guard let level = TLP(name: tlp) else { throw DomainError.invalid(field: "$.tlp", reason: "must be clear, green, amber, amber+strict or red") }
        var fields = IncidentTextField.flaggedByDefault
        if let given = personalFields {
            fields = []
            for (n, name) in given.enumerated() {
                guard let f = IncidentTextField(rawValue: name) else {
                    throw DomainError.invalid(field: "$.personal_fields[\(n)]", reason: "one of " + IncidentTextField.allCases.map(\.rawValue).joined(separator: ", "))
                }
                fields.insert(f)
            }
        }
        return FeedShareRequest(collectionId: collectionId, tlp: level, includePersonal: includePersonal ?? false, personalFields: fields, recipients: recipients ?? [])
    }
}

struct FeedShareDTO: Encodable, Sendable {
    let id: String, incidentId: String, collectionId: String, tlp: String, includePersonal: Bool, personalFields: [String]
    let recipients: [String], objectCount: Int, sharedAt: String, sharedBy: String
    enum CodingKeys: String, CodingKey {
        case id, incidentId = "incident_id", collectionId = "collection_id", tlp, includePersonal = "include_personal",
             personalFields = "personal_fields", recipients, objectCount = "object_count", sharedAt = "shared_at", sharedBy = "shared_by"
    }
    init(_ s: FeedShare) {
        id = s.id; incidentId = s.incidentId; collectionId = s.collectionId; tlp = s.tlp.name; includePersonal = s.includePersonal
        personalFields = s.personalFields; recipients = s.recipients; objectCount = s.objectCount; sharedAt = s.sharedAt.iso8601; sharedBy = s.sharedBy
    }
}

enum IncidentListQuery {
    static func filter(_ q: Query) throws -> IncidentFilter {
        var filter = IncidentFilter(limit: try q.int("limit", range: 1...200) ?? 25, offset: try q.int("offset", range: 0...10_000_000) ?? 0)
        filter.text = try q.string("q", maxLength: 200)
        if let tag = try q.string("tag", maxLength: 20), !tag.isEmpty {
            guard let parsed = StatuteTag(rawValue: tag) else { throw DomainError.invalid(field: "tag", reason: "must be 1028, 1030, 1343 or other") }
            filter.tag = parsed
        }
        if let tlp = try q.string("tlp", maxLength: 20), !tlp.isEmpty {
            guard let level = TLP(name: tlp) else { throw DomainError.invalid(field: "tlp", reason: "must be clear, green, amber, amber+strict or red") }
            filter.tlp = level
        }
        return filter
    }
}
