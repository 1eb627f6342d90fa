// The defender home (issue 7 item 2): one view of a defender organisation gathered from three
// areas — its remediation deadlines and overdue count (vulnerability clearinghouse), the TAXII
// collections it receives with the object counts visible to it (threat sharing, through the
// store's reader-filtered queries), and its defensive tool access. Built once here and served as
// the page `/defender` and as `GET /api/v1/defender/home` for the organisation's own systems.
// Advisories: no published-advisory table exists yet, so the home says so instead of guessing.
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
        enum CodingKeys: String, CodingKey { case directive, open, overdue, dueSoon = "due_soon", total, nextDue = "next_due" }
    }
    struct Feed: Encodable, Sendable {
        let id: String, apiRoot: String, title: String, readLevel: String, objects: Int
        enum CodingKeys: String, CodingKey { case id, apiRoot = "api_root", title, readLevel = "read_level", objects }
    }
    struct Advisories: Encodable, Sendable { let available: Bool, note: String }
    struct ToolAccess: Encodable, Sendable {
        struct Request: Encodable, Sendable { let offering: String, capability: String, state: String }
        let profile: String?
        let eligibleOfferings: Int
        let requests: [Request]
        enum CodingKeys: String, CodingKey { case profile, eligibleOfferings = "eligible_offerings", requests }
    }
    let org: Org
    let generatedAt: Date
    let remediation: Remediation
    let feeds: [Feed]
    let advisories: Advisories
    let toolAccess: ToolAccess
    enum CodingKeys: String, CodingKey { case org, generatedAt = "generated_at", remediation, feeds, advisories, toolAccess = "tool_access" }

    static let advisoriesNote = "Published advisories (CSAF 2.0, OSV) are not stored by this installation yet; they will appear here and in the feeds above when they are."
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
                               nextDue: next.map { RemediationItemDTO($0, now: now) }),
            feeds: try await feeds(orgReader: orgReader, viewer: viewer),
            advisories: .init(available: false, note: DefenderHome.advisoriesNote),
            toolAccess: try await toolAccess(orgReader: orgReader))
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

    /// The organisation's tool access, from the tool-access store as it stands. Kept in this one
    /// function: the store is being extended (grant dates, usage) on another branch.
    func toolAccess(orgReader: Reader) async throws -> DefenderHome.ToolAccess {
        let tools = ToolAccessStore(db: services.db, clock: services.clock)
        let profile = try await tools.profile(orgId: orgReader.orgId)
        let offerings = try await tools.offerings(for: orgReader)
        return .init(profile: profile.map { "\($0.sector), \($0.employees) employees, \($0.jurisdiction)" },
                     eligibleOfferings: offerings.filter(\.eligible).count,
                     requests: offerings.compactMap { v in
                         v.ownRequest.map { .init(offering: v.offering.name, capability: v.offering.capability, state: $0.rawValue) }
                     })
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
