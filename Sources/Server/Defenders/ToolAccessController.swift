// The tool access API under /api/v1/tools (EO 14409 §2): profiles, offerings (list, edit,
// retire), requests and decisions, grants (end early, usage reports) and coverage. Handlers
// decode, authorise, call ToolAccessStore, encode; the store's field names become JSON paths.
import Defenders
import Foundation
import Hummingbird
import Platform

struct ToolAccessController {
    let services: AppServices
    var store: ToolAccessStore { ToolAccessStore(db: services.db, clock: services.clock) }

    static let routes: [(method: String, path: String)] = [
        ("get", "/api/v1/tools/profile"), ("post", "/api/v1/tools/profile"),
        ("get", "/api/v1/tools/offerings"), ("post", "/api/v1/tools/offerings"),
        ("get", "/api/v1/tools/offerings/{id}"), ("put", "/api/v1/tools/offerings/{id}"),
        ("post", "/api/v1/tools/offerings/{id}/retire"), ("post", "/api/v1/tools/offerings/{id}/requests"),
        ("post", "/api/v1/tools/offerings/{id}/offer-next"),
        ("get", "/api/v1/tools/requests"), ("get", "/api/v1/tools/requests/{id}"), ("post", "/api/v1/tools/requests/{id}/decision"),
        ("get", "/api/v1/tools/grants"), ("get", "/api/v1/tools/grants/{id}"), ("post", "/api/v1/tools/grants/{id}/end"),
        ("post", "/api/v1/tools/grants/{id}/usage"), ("get", "/api/v1/tools/coverage"),
    ]

    func register(on group: RouterGroup<AppContext>) {
        group.get("tools/profile", use: getProfile)
        group.post("tools/profile", use: setProfile)
        group.get("tools/offerings", use: offerings)
        group.post("tools/offerings", use: createOffering)
        group.get("tools/offerings/:id", use: offering)
        group.put("tools/offerings/:id", use: updateOffering)
        group.post("tools/offerings/:id/retire", use: retire)
        group.post("tools/offerings/:id/requests", use: request)
        group.post("tools/offerings/:id/offer-next", use: offerNext)
        group.get("tools/requests", use: requests)
        group.get("tools/requests/:id", use: getRequest)
        group.post("tools/requests/:id/decision", use: decide)
        group.get("tools/grants", use: grants)
        group.get("tools/grants/:id", use: getGrant)
        group.post("tools/grants/:id/end", use: endGrant)
        group.post("tools/grants/:id/usage", use: usage)
        group.get("tools/coverage", use: coverage)
    }


    @Sendable func getProfile(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        return try .json(ProfileDTO(orgId: reader.orgId, try await store.profile(orgId: reader.orgId)))
    }

    @Sendable func setProfile(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ProfileInput.self, context: context)
        try await withJSONPaths { try await store.setProfile(sector: input.sector, employees: input.employees, jurisdiction: input.jurisdiction, by: reader) }
        return try .json(ProfileDTO(orgId: reader.orgId, try await store.profile(orgId: reader.orgId)))
    }

    static func listFilter(_ q: Query) throws -> (capability: String?, sector: String?, eligibleOnly: Bool, includeRetired: Bool, limit: Int, offset: Int) {
        func flag(_ name: String) throws -> Bool {
            switch try q.string(name, maxLength: 5) {
            case nil, "false", "0": return false
            case "true", "1": return true
            default: throw InputError(field: name, "\(name) must be true or false")
            }
        }
        return (try q.string("capability", maxLength: 80)?.lowercased(), try q.string("sector", maxLength: 40), try flag("eligible"),
                try flag("include_retired"), try q.int("limit", range: 1...200) ?? 50, try q.int("offset", range: 0...1_000_000) ?? 0)
    }

    /// Offerings filtered as the list page and API do.
    func filteredOfferings(_ reader: Reader, _ q: Query) async throws -> (items: [OfferingView], total: Int, limit: Int, offset: Int) {
        let f = try Self.listFilter(q)
        let all = try await store.offerings(for: reader, includeRetired: f.includeRetired).filter { v in
            (f.capability.map { c in v.offering.capabilities.contains { $0.contains(c) } } ?? true)
                && (f.sector.map { v.offering.sectors.isEmpty || v.offering.sectors.contains($0) } ?? true)
                && (!f.eligibleOnly || v.eligible)
        }
        return (Array(all.dropFirst(f.offset).prefix(f.limit)), all.count, f.limit, f.offset)
    }

    @Sendable func offerings(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let page = try await filteredOfferings(reader, Query(request))
        return try .json(Page(items: page.items.map { OfferingDTO($0) }, total: page.total, limit: page.limit, offset: page.offset))
    }

    @Sendable func createOffering(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(OfferingInput.self, context: context)
        let created = try await withJSONPaths { try await store.createOffering(input.offering, by: reader) }
        var response = try Response.json(OfferingDTO(try await store.offeringView(id: created.id, for: reader)), status: .created)
        response.headers[.location] = "/api/v1/tools/offerings/\(created.id)"
        return response
    }

    @Sendable func offering(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        let view = try await store.offeringView(id: id, for: reader)
        return try .json(OfferingDTO(view, usage: try await store.usageSummary(offeringId: id)))
    }

    @Sendable func updateOffering(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(OfferingInput.self, context: context)
        let id = try context.parameters.require("id")
        _ = try await withJSONPaths { try await store.updateOffering(id: id, input.offering, by: reader) }
        return try .json(OfferingDTO(try await store.offeringView(id: id, for: reader)))
    }

    @Sendable func retire(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ReasonInput.self, context: context)
        let id = try context.parameters.require("id")
        _ = try await withJSONPaths { try await store.retireOffering(id: id, reason: input.reason ?? "", by: reader) }
        return try .json(OfferingDTO(try await store.offeringView(id: id, for: reader)))
    }

    @Sendable func request(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(AccessRequestInput.self, context: context)
        let made = try await withJSONPaths { try await store.request(offeringId: try context.parameters.require("id"), purpose: input.purpose, by: reader) }
        var response = try Response.json(AccessRequestDTO(made), status: .created)
        response.headers[.location] = "/api/v1/tools/requests/\(made.id)"
        return response
    }

    func outcome(_ o: DecisionOutcome) throws -> Response {
        try .json(DecisionDTO(request: AccessRequestDTO(o.request), grant: o.grant.map { GrantDTO($0, at: services.clock.now()) }, note: o.note))
    }

    @Sendable func offerNext(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(GrantSpanInput.self, context: context)
        let result = try await withJSONPaths {
            try await store.offerNextPlace(offeringId: try context.parameters.require("id"),
                                           startsAt: try ToolDates.required(input.startsAt, field: "starts_at"),
                                           endsAt: try ToolDates.required(input.endsAt, field: "ends_at"), by: reader)
        }
        return try outcome(result)
    }

    static func requestFilter(_ q: Query) throws -> ToolListFilter {
        var f = ToolListFilter(offeringId: try q.string("offering", maxLength: 64), orgId: try q.string("org", maxLength: 64),
                               limit: try q.int("limit", range: 1...200) ?? 50, offset: try q.int("offset", range: 0...1_000_000) ?? 0)
        if let s = try q.string("state", maxLength: 20) {
            guard let state = AccessDecision(rawValue: s) else { throw InputError(field: "state", "state must be requested, approved, waitlisted or declined") }
            f.state = state
        }
        return f
    }

    @Sendable func requests(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let filter = try Self.requestFilter(Query(request))
        let page = try await store.requests(reader: reader, filter: filter)
        return try .json(Page(items: page.items.map(AccessRequestDTO.init), total: page.total, limit: filter.limit, offset: filter.offset))
    }

    @Sendable func getRequest(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        return try .json(AccessRequestDTO(try await store.request(id: try context.parameters.require("id"), reader: reader)))
    }

    @Sendable func decide(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(DecisionInput.self, context: context)
        guard let decision = AccessDecision(rawValue: input.decision), decision != .requested else {
            throw DomainError.invalid(field: "$.decision", reason: "must be approved, waitlisted or declined")
        }
        let result = try await withJSONPaths {
            try await store.decide(requestId: try context.parameters.require("id"), decision, reason: input.reason ?? "",
                                   startsAt: try ToolDates.parse(input.startsAt, field: "starts_at", required: false),
                                   endsAt: try ToolDates.parse(input.endsAt, field: "ends_at", required: false), by: reader)
        }
        return try outcome(result)
    }

    @Sendable func grants(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let filter = try Self.requestFilter(Query(request))
        let page = try await store.grants(reader: reader, filter: filter)
        let now = services.clock.now()
        return try .json(Page(items: page.items.map { GrantDTO($0, at: now) }, total: page.total, limit: filter.limit, offset: filter.offset))
    }

    @Sendable func getGrant(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        let grant = try await store.grant(id: id, reader: reader)
        return try .json(GrantDTO(grant, at: services.clock.now(), usage: try await store.usage(grantId: id, reader: reader)))
    }

    @Sendable func endGrant(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ReasonInput.self, context: context)
        let grant = try await store.endGrant(id: try context.parameters.require("id"), reason: input.reason ?? "", by: reader)
        return try .json(GrantDTO(grant, at: services.clock.now()))
    }

    @Sendable func usage(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(UsageReportInput.self, context: context)
        let report = try await withJSONPaths { try await store.recordUsage(grantId: try context.parameters.require("id"), try input.usage(), by: reader) }
        return try .json(UsageReportDTO(report), status: .created)
    }

    @Sendable func coverage(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        guard ToolAccessStore.isCoordinator(reader) else { throw DomainError.notFound("coverage") }
        return try .json(try await store.coverage().map {
            CoverageDTO(sector: $0.sector, jurisdiction: $0.jurisdiction, defenders: $0.defenders, covered: $0.covered, requests: $0.requests, approved: $0.approved)
        })
    }
}
