// The scan registry's JSON API under /api/v1/scans: declare a scanning campaign, list campaigns or
// ask "who is scanning X" (one query: `?target=X[&at=TIME]`), read one with the overlapping
// campaigns the caller may see, and end one early. Handlers decode, authorise, call
// VulnerabilityStore, encode; the access rule lives in the store.
import Foundation
import Hummingbird
import Platform
import Vulnerabilities

struct ScanController {
    let services: AppServices
    var store: VulnerabilityStore { VulnerabilityStore(db: services.db, clock: services.clock, secrets: services.secrets) }

    static let routes: [(method: String, path: String)] = [
        ("post", "/api/v1/scans"), ("get", "/api/v1/scans"), ("get", "/api/v1/scans/{id}"), ("post", "/api/v1/scans/{id}/end"),
    ]

    func register(on group: RouterGroup<AppContext>) {
        group.post("scans", use: declare)
        group.get("scans", use: list)
        group.get("scans/:id", use: show)
        group.post("scans/:id/end", use: end)
    }

    @Sendable func declare(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ScanInput.self, context: context)
        let campaign = try await store.declareScan(try input.declaration(), by: reader)
        let overlaps = try await store.scanOverlaps(id: campaign.id, reader: reader)
        var response = try Response.json(ScanDetailDTO(campaign, overlaps: overlaps, now: services.clock.now()), status: .created)
        response.headers[.location] = "/api/v1/scans/\(campaign.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let query = try await Self.query(Query(request), directory: services.directory)
        let page = try await store.scans(reader: reader, query: query)
        let now = services.clock.now()
        return try .json(Page(items: page.items.map { ScanDTO($0, now: now) }, total: page.total, limit: query.limit, offset: query.offset))
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        let campaign = try await store.scan(id: id, reader: reader)
        return try .json(ScanDetailDTO(campaign, overlaps: try await store.scanOverlaps(id: id, reader: reader), now: services.clock.now()))
    }

    @Sendable func end(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(EndScanInput.self, context: context)
        let campaign = try await store.endScan(id: try context.parameters.require("id"), reason: input.reason, by: reader)
        return try .json(ScanDTO(campaign, now: services.clock.now()))
    }

    /// The list's filters, shared by the API and the page: `target` (a purl, repository URL or CPE
    /// name), `at` (a time), `org` (an organisation id or name), `limit`, `offset`.
    static func query(_ q: Query, directory: Directory) async throws -> ScanQuery {
        var query = ScanQuery(limit: try q.int("limit", range: 1...500) ?? 50, offset: try q.int("offset", range: 0...10_000_000) ?? 0)
        if let target = try q.string("target", maxLength: 1000) { query.target = try ScanTarget(parsing: target, path: "target") }
        query.at = try q.date("at")
        if let org = try q.string("org", maxLength: 200) {
            // An unknown organisation selects nothing rather than failing: names are not secret, but a typo is not an error.
            if let byId = try await directory.organisation(id: org) {
                query.org = byId.id
            } else {
                query.org = try await directory.organisation(named: org)?.id ?? org
            }
        }
        return query
    }
}

struct ScanInput: APIInput {
    static let fields: Set<String> = ["title", "targets", "starts_at", "ends_at", "method", "tlp", "share_orgs"]
    var title: String
    var targets: [String]
    var starts_at: String
    var ends_at: String
    var method: String
    var tlp: String?
    var share_orgs: [String]?

    func declaration() throws -> ScanDeclaration {
        func time(_ text: String, _ field: String) throws -> Date {
            guard let date = Date.parseISO8601(text) else {
                throw DomainError.invalid(field: "$.\(field)", reason: "must be an RFC 3339 time such as 2026-12-01T00:00:00Z")
            }
            return date
        }
        var level = TLP.amber
        if let tlp {
            guard let parsed = TLP(name: tlp) else { throw DomainError.invalid(field: "$.tlp", reason: "must be clear, green, amber, amber+strict or red") }
            level = parsed
        }
        return ScanDeclaration(title: title, targets: targets, startsAt: try time(starts_at, "starts_at"), endsAt: try time(ends_at, "ends_at"),
                               method: method, tlp: level, shareOrgs: share_orgs ?? [])
    }
}

struct EndScanInput: APIInput {
    static let fields: Set<String> = ["reason"]
    var reason: String
}

struct ScanTargetDTO: Encodable, Sendable {
    var kind, value, normalised, version: String
    init(_ t: ScanTarget) { kind = t.kind.rawValue; value = t.raw; normalised = t.key; version = t.version }
}

struct ScanDTO: Encodable, Sendable {
    var id, title, org_id, org_name, method, status, tlp, created_by: String
    var share_orgs: [String]
    var starts_at, ends_at, created_at: Date
    var ended_at: Date?
    var ended_by, end_reason: String?
    var targets: [ScanTargetDTO]
    var overlap_count: Int
    init(_ c: ScanCampaign, now: Date) {
        id = c.id; title = c.title; org_id = c.orgId; org_name = c.orgName; method = c.method; status = c.status(at: now)
        tlp = c.label.tlp.name; created_by = c.createdBy; share_orgs = c.label.orgs; starts_at = c.startsAt; ends_at = c.endsAt
        created_at = c.createdAt; ended_at = c.endedAt; ended_by = c.endedBy; end_reason = c.endReason
        targets = c.targets.map(ScanTargetDTO.init); overlap_count = c.overlapCount
    }
}

struct ScanDetailDTO: Encodable, Sendable {
    var campaign: ScanDTO
    /// Overlapping campaigns (a matching target, intersecting windows) the caller may see.
    var overlaps: [ScanDTO]
    init(_ c: ScanCampaign, overlaps: [ScanCampaign], now: Date) {
        campaign = ScanDTO(c, now: now)
        self.overlaps = overlaps.map { ScanDTO($0, now: now) }
    }
}
