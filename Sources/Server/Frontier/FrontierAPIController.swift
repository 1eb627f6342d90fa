// The frontier program's JSON API under /api/v1/frontier: models and versions, the compute ledger
// and its assessment against every policy, run-time policy versions, coverage inquiries and
// designations, pre-release access windows, and Epoch reference models. Handlers decode, authorise
// (through FrontierStore's rules), call the store and encode; nothing here approves anything.
import Foundation
import Frontier
import Hummingbird
import HTTPTypes
import NIOCore
import Platform

struct FrontierAPIController {
    let services: AppServices
    let store: FrontierStore

    init(services: AppServices, store: FrontierStore) {
        self.services = services
        self.store = store
    }

    func register(on group: RouterGroup<AppContext>) {
        group.get("frontier/models", use: listModels)
        group.post("frontier/models", use: createModel)
        group.get("frontier/models/:id", use: getModel)
        group.post("frontier/models/:id/versions", use: createVersion)
        group.get("frontier/versions/:id", use: getVersion)
        group.get("frontier/versions/:id/credential", use: credential)
        group.post("frontier/versions/:id/ledger", use: addLedgerItem)
        group.post("frontier/versions/:id/release", use: release)
        group.post("frontier/versions/:id/inquiries", use: openInquiry)
        group.post("frontier/versions/:id/windows", use: openWindow)
        group.post("frontier/inquiries/:id/designations", use: recordDesignation)
        group.post("frontier/windows/:id/accept", use: accept)
        group.post("frontier/windows/:id/end", use: endWindow)
        group.post("frontier/windows/:id/extend", use: extendWindow)
        group.post("frontier/windows/:id/withdraw", use: withdrawWindow)
        group.get("frontier/policies", use: listPolicies)
        group.post("frontier/policies", use: loadPolicy)
        group.get("frontier/terms", use: currentTerms)
        group.post("frontier/terms", use: publishTerms)
        group.get("frontier/terms/versions", use: termsVersions)
        group.get("frontier/reference-models", use: referenceModels)
        group.get("frontier/notifications", use: notifications)
    }

    // MARK: models and versions

    @Sendable func listModels(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let q = Query(request)
        let limit = try q.int("limit", range: 1...500) ?? 50, offset = try q.int("offset", range: 0...1_000_000) ?? 0
        let models = try await store.models(reader, limit: limit, offset: offset)
        return try FrontierJSON.response(FrontierPage(items: models.map(ModelDTO.init), limit: limit, offset: offset))
    }

    @Sendable func createModel(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(CreateModelInput.self, context: context)
        let model = try await store.createModel(reader, name: input.name, label: try input.label?.label(owner: reader.orgId), at: services.clock.now())
        return try FrontierJSON.created(ModelDTO(model), at: "/api/v1/frontier/models/\(model.id)")
    }

    @Sendable func getModel(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        let model = try await store.model(reader, id: id)
        let versions = try await store.versions(reader, modelId: id)
        return try FrontierJSON.response(ModelDetailDTO(model: ModelDTO(model), versions: versions.map(VersionDTO.init)))
    }

    @Sendable func createVersion(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let id = try context.parameters.require("id")
        let input = try await request.decodeInput(CreateVersionInput.self, context: context)
        let version = try await store.createVersion(reader, modelId: id, input: try input.versionInput(), at: services.clock.now())
        return try FrontierJSON.created(VersionDTO(version), at: "/api/v1/frontier/versions/\(version.id)")
    }

    @Sendable func getVersion(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        return try FrontierJSON.response(try await FrontierViews.versionDetail(store: store, reader: reader, id: id, now: services.clock.now()))
    }

    @Sendable func credential(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        guard let secret = try await store.endpointCredential(reader, versionId: id, at: services.clock.now()) else {
            // Entitlement ends with the window or was never granted; the version itself is visible.
            throw DomainError.forbidden("the endpoint credential is shown to the developer, and to an invitee only while its window is open and after it accepted the protection terms")
        }
        return try FrontierJSON.response(CredentialDTO(endpointCredential: secret))
    }

    @Sendable func addLedgerItem(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let id = try context.parameters.require("id")
        let body = try await request.collectBody(limit: context.maxUploadSize)
        let item: LedgerItem
        do {
            item = try ModelDescription.parseLedgerItem(json: Data(body.readableBytesView), catalogue: store.catalogue)
        } catch let error as FrontierError {
            throw FrontierStore.domain(error)
        }
        let stored = try await store.addLedgerItem(reader, versionId: id, item: item, at: services.clock.now())
        return try FrontierJSON.response(LedgerItemDTO(stored), status: .created)
    }

    @Sendable func release(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let version = try await store.release(reader, versionId: try context.parameters.require("id"), at: services.clock.now())
        return try FrontierJSON.response(VersionDTO(version))
    }

    // MARK: inquiries

    @Sendable func openInquiry(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(OpenInquiryInput.self, context: context)
        let inquiry = try await store.openInquiry(reader, versionId: try context.parameters.require("id"), question: input.question,
                                                  governmentOrgs: input.governmentOrgs, at: services.clock.now())
        return try FrontierJSON.response(InquiryDTO(inquiry), status: .created)
    }

    @Sendable func recordDesignation(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(DesignationInput.self, context: context)
        guard let designation = Designation(rawValue: input.designation) else {
            throw DomainError.invalid(field: "$.designation", reason: "use covered, not-covered or deferred")
        }
        let record = try await store.recordDesignation(reader, inquiryId: try context.parameters.require("id"), designation: designation,
                                                       rationale: input.rationale, label: try input.label?.label(owner: reader.orgId),
                                                       at: services.clock.now())
        return try FrontierJSON.response(DesignationDTO(record), status: .created)
    }

    // MARK: windows

    @Sendable func openWindow(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(OpenWindowInput.self, context: context)
        guard let start = Date.parseISO8601(input.startsAt) else { throw DomainError.invalid(field: "$.starts_at", reason: "an ISO 8601 time") }
        guard let end = Date.parseISO8601(input.endsAt) else { throw DomainError.invalid(field: "$.ends_at", reason: "an ISO 8601 time") }
        let now = services.clock.now()
        let window = try await store.openWindow(reader, versionId: try context.parameters.require("id"), start: start, end: end,
                                                invitees: input.invitees, at: now)
        return try FrontierJSON.response(WindowDTO(window, now: now), status: .created)
    }

    @Sendable func accept(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(AcceptInput.self, context: context)
        let now = services.clock.now()
        let window = try await store.acceptTerms(reader, windowId: try context.parameters.require("id"), termsVersion: input.termsVersion, at: now)
        return try FrontierJSON.response(WindowDTO(window, now: now))
    }

    @Sendable func endWindow(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let now = services.clock.now()
        return try FrontierJSON.response(WindowDTO(try await store.endWindow(reader, windowId: try context.parameters.require("id"), at: now), now: now))
    }

    @Sendable func extendWindow(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(ExtendInput.self, context: context)
        guard let end = Date.parseISO8601(input.endsAt) else { throw DomainError.invalid(field: "$.ends_at", reason: "an ISO 8601 time") }
        let now = services.clock.now()
        return try FrontierJSON.response(WindowDTO(try await store.extendWindow(reader, windowId: try context.parameters.require("id"), to: end, at: now), now: now))
    }

    @Sendable func withdrawWindow(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let now = services.clock.now()
        return try FrontierJSON.response(WindowDTO(try await store.withdrawWindow(reader, windowId: try context.parameters.require("id"), at: now), now: now))
    }

    // MARK: policies, terms, reference data

    @Sendable func listPolicies(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireReader()
        let set = try await store.policySet()
        let now = services.clock.now()
        let stored = try await store.policyVersions()
        let items = stored.map { v in
            PolicyVersionDTO(policy: v.policyId, version: v.version, effectiveDate: v.effectiveDate, origin: v.origin,
                             current: set.current(v.policyId, asOf: now)?.version == v.version,
                             title: set.versions(of: v.policyId).first { $0.version == v.version }?.title ?? v.policyId)
        }
        return try FrontierJSON.response(FrontierPage(items: items, limit: items.count, offset: 0))
    }

    @Sendable func loadPolicy(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let body = try await request.collectBody(limit: context.maxUploadSize)
        let policy = try await store.loadPolicy(reader, document: Data(body.readableBytesView), at: services.clock.now())
        return try FrontierJSON.response(PolicyVersionDTO(policy: policy.id, version: policy.version, effectiveDate: policy.effectiveDate,
                                                          origin: "loaded", current: nil, title: policy.title), status: .created)
    }

    @Sendable func currentTerms(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireReader()
        let terms = try await store.currentTerms(at: services.clock.now())
        return try FrontierJSON.response(TermsDTO(version: terms.version, body: terms.body, publishedAt: terms.publishedAt))
    }

    /// An installation administrator publishes a new version of the terms text. Windows opened from
    /// now on are under it; open windows and their acceptances keep the version they were made under.
    @Sendable func publishTerms(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireAdmin()
        let input = try await request.decodeInput(PublishTermsInput.self, context: context)
        let terms = try await store.publishTerms(reader, version: input.version, body: input.body, at: services.clock.now())
        return try FrontierJSON.response(TermsDTO(version: terms.version, body: terms.body, publishedAt: terms.publishedAt), status: .created)
    }

    @Sendable func termsVersions(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireReader()
        _ = try await store.currentTerms(at: services.clock.now())  // version 1 exists from first use on
        let items = try await store.termsVersions().map { TermsDTO(version: $0.version, body: $0.body, publishedAt: $0.publishedAt) }
        return try FrontierJSON.response(FrontierPage(items: items, limit: items.count, offset: 0, total: items.count))
    }

    /// Designations on the caller's organisation's inquiries, newest first (`since` = ISO 8601 time).
    @Sendable func notifications(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let q = Query(request)
        let limit = try q.int("limit", range: 1...500) ?? 50
        let items = try await store.designationsForDeveloper(reader, since: try q.date("since"), limit: limit)
        return try FrontierJSON.response(FrontierPage(items: items.map { NotificationDTO(versionId: $0.version, designation: DesignationDTO($0.designation)) },
                                                      limit: limit, offset: 0))
    }

    @Sendable func referenceModels(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireReader()
        let q = Query(request)
        let limit = try q.int("limit", range: 1...2000) ?? 100, offset = try q.int("offset", range: 0...1_000_000) ?? 0
        let all = try await store.referencePoints()
        let minimum = try q.string("min_flop").map { raw -> Double in
            guard let v = FrontierNumber.parse(raw) else { throw InputError(field: "min_flop", "min_flop must be a number such as 1e25") }
            return v
        }
        let filtered = all.filter { $0.trainingComputeFLOP >= (minimum ?? 0) }
        let page = filtered.dropFirst(offset).prefix(limit).map {
            ReferenceModelDTO(name: $0.name, organization: $0.organization, publicationDate: $0.publicationDate, trainingComputeFlop: $0.trainingComputeFLOP)
        }
        return try FrontierJSON.response(FrontierPage(items: Array(page), limit: limit, offset: offset, total: filtered.count))
    }
}
