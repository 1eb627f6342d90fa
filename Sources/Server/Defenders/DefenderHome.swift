// The defender home (issue 7 item 2): one view of a defender organisation gathered from three
// areas — its remediation deadlines and overdue count (vulnerability clearinghouse), the TAXII
// collections it receives with the object counts visible to it (threat sharing, through the
// store's reader-filtered queries), and its defensive tool access. Built once here and served as
// the page `/defender` and as `GET /api/v1/defender/home` for the organisation's own systems.
// Advisories are the published CSAF/OSV advisories the organisation may read (the case's rule).
import Defenders
import Foundation
import Hummingbird
import Platform
import ThreatSharing
import Vulnerabilities

struct DefenderHome: Encodable, Sendable {
    struct Org: Encodable, Sendable { let id: String, name: String, kind: String }
    struct Remediation: Encodable, Sendable {
        let directive: String, open: Int, overdue: Int, dueSoon: Int, total: Int
        let nextDue: [RemediationItemDTO]
        /// The same items as stored, for the page (not encoded).
        let nextItems: [RemediationItem]
        enum CodingKeys: String, CodingKey { case directive, open, overdue, dueSoon = "due_soon", total, nextDue = "next_due" }
    }
    struct Feed: Encodable, Sendable {
        let id: String, apiRoot: String, title: String, readLevel: String, objects: Int
        enum CodingKeys: String, CodingKey { case id, apiRoot = "api_root", title, readLevel = "read_level", objects }
    }
    struct Advisories: Encodable, Sendable {
        struct Advisory: Encodable, Sendable {
            let id: String, caseId: String, trackingId: String, title: String, version: Int, publishedAt: Date
            enum CodingKeys: String, CodingKey { case id, caseId = "case_id", trackingId = "tracking_id", title, version, publishedAt = "published_at" }
        }
        let total: Int
        let recent: [Advisory]
    }
    struct ToolAccess: Encodable, Sendable {
        struct Request: Encodable, Sendable { let offering: String, capability: String, state: String }
        struct Grant: Encodable, Sendable {
            let id: String, offering: String, startsAt: Date, endsAt: Date, status: String
            enum CodingKeys: String, CodingKey { case id, offering, startsAt = "starts_at", endsAt = "ends_at", status }
        }
        let profile: String?
        let eligibleOfferings: Int
        let requests: [Request]
        let grants: [Grant]
        enum CodingKeys: String, CodingKey { case profile, eligibleOfferings = "eligible_offerings", requests, grants }
    }
    let org: Org
    let generatedAt: Date
    let remediation: Remediation
    let feeds: [Feed]
    let advisories: Advisories
    let toolAccess: ToolAccess
    enum CodingKeys: String, CodingKey { case org, generatedAt = "generated_at", remediation, feeds, advisories, toolAccess = "tool_access" }
}

struct DefenderHomeBuilder {
    let services: AppServices

    /// The home of `orgId` (nil: the viewer's own organisation) as `viewer` may see it. Members see
    /// only their own organisation; coordinators (reviewers, administrators) may pick any defender.
    func build(orgId: String?, viewer: Reader) async throws -> DefenderHome {
        let vulns = VulnerabilityStore(db: services.db, clock: services.clock, secrets: services.secrets)
        let id = try vulns.remediationReadOrg(orgId, reader: viewer)
        guard let org = try await services.directory.organisation(id: id) else { throw DomainError.notFound("organisation") }
        // What the organisation receives is computed as the organisation reads it: a member's own
        // reader, or for a coordinator an ordinary member of that organisation.
        let orgReader = id == viewer.orgId ? viewer : Reader(userId: "", userName: "", orgId: id, orgKind: org.kind, role: .member)
        let now = services.clock.now()
        let summary = try await vulns.remediationSummary(orgId: id, reader: viewer)
        let next = try await vulns.remediationItems(reader: viewer, filter: RemediationFilter(orgId: id, status: .open), limit: 10).items
        return DefenderHome(
            org: .init(id: org.id, name: org.name, kind: org.kind.rawValue), generatedAt: now,
            remediation: .init(directive: try await vulns.remediationDirective(orgId: id, reader: viewer).rawValue, open: summary.open,
                               overdue: summary.overdue, dueSoon: summary.dueSoon, total: summary.total,
                               nextDue: next.map { RemediationItemDTO($0, now: now) }, nextItems: next),
            feeds: try await feeds(orgReader: orgReader, viewer: viewer),
            advisories: try await advisories(orgReader: orgReader, store: vulns),
            toolAccess: try await toolAccess(orgReader: orgReader, viewer: viewer))
    }

    /// Collections the organisation can read, with the object versions visible to it. A
    /// coordinator looking at another organisation is shown only collections it may see itself.
    func feeds(orgReader: Reader, viewer: Reader) async throws -> [DefenderHome.Feed] {
        let taxii = ThreatSharingStore(db: services.db)
        var feeds: [DefenderHome.Feed] = []
        for root in try await taxii.apiRoots() {
            let viewerSees = Set(try await taxii.collections(apiRoot: root.name, for: viewer).map(\.0.id))
            for (collection, access) in try await taxii.collections(apiRoot: root.name, for: orgReader)
            where access.canRead && viewerSees.contains(collection.id) {
                feeds.append(.init(id: collection.id, apiRoot: root.name, title: collection.title,
                                   readLevel: access.readsEverything ? "all" : (access.readLevel?.name ?? "none"),
                                   objects: try await taxii.count(collectionId: collection.id, access: access)))
            }
        }
        return feeds
    }

    /// The newest advisories the organisation may read, by the same rule as their cases.
    func advisories(orgReader: Reader, store: VulnerabilityStore) async throws -> DefenderHome.Advisories {
        let page = try await store.advisories(reader: orgReader, limit: 10)
        return .init(total: page.total, recent: page.items.map {
            .init(id: $0.id, caseId: $0.caseId, trackingId: $0.trackingId, title: $0.title, version: $0.version, publishedAt: $0.publishedAt)
        })
    }

    /// The organisation's profile, eligibility, open requests and grants. Grants are those the
    /// viewer may see (the tool-access store's rule), so a coordinator and a member see the same.
    func toolAccess(orgReader: Reader, viewer: Reader) async throws -> DefenderHome.ToolAccess {
        let tools = ToolAccessStore(db: services.db, clock: services.clock)
        let now = services.clock.now()
        let profile = try await tools.profile(orgId: orgReader.orgId)
        let offerings = try await tools.offerings(for: orgReader)
        let grants = try await tools.grants(forOrganization: orgReader.orgId, reader: viewer)
        return .init(profile: profile.map { "\($0.sector), \($0.employees) employees, \($0.jurisdiction)" },
                     eligibleOfferings: offerings.filter(\.eligible).count,
                     requests: offerings.compactMap { v in
                         v.ownRequest.map { .init(offering: v.offering.name, capability: v.offering.capabilities.joined(separator: ", "), state: $0.rawValue) }
                     },
                     grants: grants.map { .init(id: $0.id, offering: $0.offeringName, startsAt: $0.startsAt, endsAt: $0.endsAt,
                                                status: $0.status(at: now).rawValue) })
    }
}

/// `GET /api/v1/defender/home?org=`: the same home as JSON, token-authenticated.
struct DefenderHomeController {
    let services: AppServices
    static let routes: [(method: String, path: String)] = [("get", "/api/v1/defender/home")]

    func register(on group: RouterGroup<AppContext>) {
        group.get("defender/home", use: home)
    }

    @Sendable func home(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let org = try Query(request).string("org", maxLength: 100)
        return try .json(try await DefenderHomeBuilder(services: services).build(orgId: org, viewer: reader))
    }
}
