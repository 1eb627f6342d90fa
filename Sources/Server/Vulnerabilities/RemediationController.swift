// The defender remediation API under /api/v1/remediation: a defender organisation's items with
// their directive deadlines (add one, add every KEV entry of a product, change status with a
// reason, list by due date with filters), and the organisation's directive. Handlers decode,
// authorise through the store's organisation rule, call VulnerabilityStore, encode.
import Foundation
import Hummingbird
import Platform
import Vulnerabilities

struct RemediationController {
    let services: AppServices
    var store: VulnerabilityStore { VulnerabilityStore(db: services.db, clock: services.clock, secrets: services.secrets) }

    /// The routes this controller serves, as `OpenAPI/remediation.json` documents them.
    static let routes: [(method: String, path: String)] = [
        ("get", "/api/v1/remediation/items"), ("post", "/api/v1/remediation/items"), ("get", "/api/v1/remediation/items/{id}"),
        ("post", "/api/v1/remediation/items/{id}/status"), ("post", "/api/v1/remediation/kev"),
        ("get", "/api/v1/remediation/directive"), ("post", "/api/v1/remediation/directive"),
    ]

    func register(on group: RouterGroup<AppContext>) {
        group.get("remediation/items", use: list)
        group.post("remediation/items", use: add)
        group.get("remediation/items/:id", use: show)
        group.post("remediation/items/:id/status", use: setStatus)
        group.post("remediation/kev", use: addFromKEV)
        group.get("remediation/directive", use: directive)
        group.post("remediation/directive", use: setDirective)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let q = Query(request)
        let limit = try q.int("limit", range: 1...500) ?? 50, offset = try q.int("offset", range: 0...10_000_000) ?? 0
        let filter = try Self.filter(q, reader: reader, store: store)
        let page = try await store.remediationItems(reader: reader, filter: filter, limit: limit, offset: offset)
        let now = services.clock.now()
        return try .json(Page(items: page.items.map { RemediationItemDTO($0, now: now) }, total: page.total, limit: limit, offset: offset))
    }

    /// The list filters shared by the API and the page: `org`, `status`, `overdue`, `due_before`.
    static func filter(_ q: Query, reader: Reader, store: VulnerabilityStore) throws -> RemediationFilter {
        var filter = RemediationFilter()
        if let org = try q.string("org", maxLength: 100) { filter.orgId = try store.remediationReadOrg(org, reader: reader) }
        if let status = try q.string("status", maxLength: 40) {
            guard let s = RemediationStatus(rawValue: status) else { throw InputError(field: "status", "status must be one of \(RemediationStatus.names)") }
            filter.status = s
        }
        if let overdue = try q.string("overdue", maxLength: 5) {
            guard ["true", "false"].contains(overdue) else { throw InputError(field: "overdue", "overdue must be true or false") }
            filter.overdue = overdue == "true"
        }
        filter.dueBefore = try q.date("due_before")
        return filter
    }

    @Sendable func add(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(RemediationItemInput.self, context: context)
        let item = try await store.addRemediationItem(try input.domain(), by: reader)
        var response = try Response.json(RemediationItemDTO(item, now: services.clock.now()), status: .created)
        response.headers[.location] = "/api/v1/remediation/items/\(item.id)"
        return response
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let item = try await store.remediationItem(id: try context.parameters.require("id"), reader: reader)
        return try .json(RemediationItemDTO(item, now: services.clock.now()))
    }

    @Sendable func setStatus(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(RemediationStatusInput.self, context: context)
        let item = try await store.setRemediationStatus(id: try context.parameters.require("id"), status: input.status,
                                                        reason: input.reason, by: reader)
        return try .json(RemediationItemDTO(item, now: services.clock.now()))
    }

    @Sendable func addFromKEV(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(RemediationKEVInput.self, context: context)
        let outcome = try await store.addRemediationItemsFromKEV(vendor: input.vendor, product: input.product,
                                                                 template: try input.template(), by: reader)
        return try .json(RemediationKEVDTO(created: outcome.created, skippedCVEs: outcome.skipped), status: outcome.created.isEmpty ? .ok : .created)
    }

    @Sendable func directive(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let org = try Query(request).string("org", maxLength: 100)
        let chosen = try await store.remediationDirective(orgId: org, reader: reader)
        return try .json(RemediationDirectiveDTO(org: try store.remediationReadOrg(org, reader: reader), directive: chosen.rawValue, redated: nil))
    }

    @Sendable func setDirective(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(RemediationDirectiveInput.self, context: context)
        let redated = try await store.setRemediationDirective(orgId: input.org, directive: input.directive, reason: input.reason, by: reader)
        return try .json(RemediationDirectiveDTO(org: try store.remediationReadOrg(input.org, reader: reader), directive: input.directive,
                                                 redated: redated))
    }
}

// MARK: Wire types

enum RemediationWire {
    /// One of a few words, or nil when left out (or "unknown": SSVC decides where it can).
    static func choice<T>(_ text: String?, field: String, _ options: [String: T]) throws -> T? {
        guard let text, !text.isEmpty, text != "unknown" else { return nil }
        guard let value = options[text.lowercased()] else {
            throw DomainError.invalid(field: field, reason: "must be \(options.keys.sorted().joined(separator: " or ")) (or left out when SSVC knows it)")
        }
        return value
    }

    static func automatable(_ text: String?, field: String) throws -> SSVCAutomatable? {
        try choice(text, field: field, ["yes": .yes, "no": .no])
    }

    static func impact(_ text: String?, field: String) throws -> SSVCTechnicalImpact? {
        try choice(text, field: field, ["partial": .partial, "total": .total])
    }

    static func directive(_ text: String?, field: String) throws -> RemediationDirective? {
        guard let text, !text.isEmpty, text != "organisation" else { return nil }
        guard let d = RemediationDirective(rawValue: text) else {
            throw DomainError.invalid(field: field, reason: "must be one of \(RemediationDirective.names)")
        }
        return d
    }

    static func time(_ text: String?, field: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        if let date = Date.parseISO8601(text) { return date }
        if let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return day }
        throw DomainError.invalid(field: field, reason: "must be an RFC 3339 time such as 2026-11-01T00:00:00Z or a date")
    }
}

struct RemediationItemInput: APIInput {
    static let fields: Set<String> = ["org", "cve", "case_id", "asset", "publicly_exposed", "automatable", "technical_impact",
                                      "directive", "started_at", "notes"]
    let org: String?
    let cve: String?
    let caseId: String?
    let asset: String
    let publiclyExposed: Bool
    let automatable: String?
    let technicalImpact: String?
    let directive: String?
    let startedAt: String?
    let notes: String?
    enum CodingKeys: String, CodingKey {
        case org, cve, caseId = "case_id", asset, publiclyExposed = "publicly_exposed", automatable
        case technicalImpact = "technical_impact", directive, startedAt = "started_at", notes
    }

    func domain() throws -> RemediationInput {
        RemediationInput(orgId: org, cve: cve, caseId: caseId, asset: asset, publiclyExposed: publiclyExposed,
                         automatable: try RemediationWire.automatable(automatable, field: "$.automatable"),
                         technicalImpact: try RemediationWire.impact(technicalImpact, field: "$.technical_impact"),
                         directive: try RemediationWire.directive(directive, field: "$.directive"),
                         startedAt: try RemediationWire.time(startedAt, field: "$.started_at"), notes: notes ?? "")
    }
}

struct RemediationKEVInput: APIInput {
    static let fields: Set<String> = ["org", "vendor", "product", "asset", "publicly_exposed", "automatable", "technical_impact",
                                      "directive", "started_at"]
    let org: String?
    let vendor: String?
    let product: String
    let asset: String
    let publiclyExposed: Bool
    let automatable: String?
    let technicalImpact: String?
    let directive: String?
    let startedAt: String?
    enum CodingKeys: String, CodingKey {
        case org, vendor, product, asset, publiclyExposed = "publicly_exposed", automatable
        case technicalImpact = "technical_impact", directive, startedAt = "started_at"
    }

    func template() throws -> RemediationInput {
        RemediationInput(orgId: org, asset: asset, publiclyExposed: publiclyExposed,
                         automatable: try RemediationWire.automatable(automatable, field: "$.automatable"),
                         technicalImpact: try RemediationWire.impact(technicalImpact, field: "$.technical_impact"),
                         directive: try RemediationWire.directive(directive, field: "$.directive"),
                         startedAt: try RemediationWire.time(startedAt, field: "$.started_at"))
    }
}

struct RemediationStatusInput: APIInput {
    static let fields: Set<String> = ["status", "reason"]
    let status: String
    let reason: String
}

struct RemediationDirectiveInput: APIInput {
    static let fields: Set<String> = ["org", "directive", "reason"]
    let org: String?
    let directive: String
    let reason: String
}

struct RemediationItemDTO: Encodable, Sendable {
    let id: String, org: String, orgName: String, cve: String?, caseId: String?, asset: String
    let publiclyExposed: Bool, automatable: String, automatableSource: String, technicalImpact: String, technicalImpactSource: String
    let inKEV: Bool, kevDueDate: String?, directive: String, directiveSource: String, timeline: String
    let dueAt: Date?, dueRule: String, dueInWords: String, startedAt: Date
    let status: String, statusReason: String, statusBy: String?, statusAt: Date?, overdue: Bool
    let notes: String, createdBy: String, createdAt: Date
    enum CodingKeys: String, CodingKey {
        case id, org, orgName = "org_name", cve, caseId = "case_id", asset, publiclyExposed = "publicly_exposed", automatable
        case automatableSource = "automatable_source", technicalImpact = "technical_impact", technicalImpactSource = "technical_impact_source"
        case inKEV = "in_kev", kevDueDate = "kev_due_date", directive, directiveSource = "directive_source", timeline
        case dueAt = "due_at", dueRule = "due_rule", dueInWords = "due_in_words", startedAt = "started_at"
        case status, statusReason = "status_reason", statusBy = "status_by", statusAt = "status_at", overdue
        case notes, createdBy = "created_by", createdAt = "created_at"
    }

    init(_ i: RemediationItem, now: Date) {
        id = i.id; org = i.orgId; orgName = i.orgName; cve = i.cve; caseId = i.caseId; asset = i.asset
        publiclyExposed = i.publiclyExposed; automatable = i.automatable == .yes ? "yes" : "no"; automatableSource = i.automatableSource
        technicalImpact = i.technicalImpact == .total ? "total" : "partial"; technicalImpactSource = i.technicalImpactSource
        inKEV = i.inKEV; kevDueDate = i.kevDueDate; directive = i.directive.rawValue
        directiveSource = i.directiveChoice == nil ? "organisation" : "item"; timeline = i.timeline
        dueAt = i.dueAt; dueRule = i.dueRule; dueInWords = RemediationRules.dueInWords(status: i.status, dueAt: i.dueAt, timeline: i.timeline, now: now)
        startedAt = i.startedAt; status = i.status.rawValue; statusReason = i.statusReason; statusBy = i.statusBy; statusAt = i.statusAt
        overdue = i.overdue; notes = i.notes; createdBy = i.createdBy; createdAt = i.createdAt
    }
}

struct RemediationKEVDTO: Encodable, Sendable {
    let created: [String]
    let skippedCVEs: [String]
    enum CodingKeys: String, CodingKey { case created, skippedCVEs = "skipped_cves" }
}

struct RemediationDirectiveDTO: Encodable, Sendable {
    let org: String
    let directive: String
    let redated: Int?
}
