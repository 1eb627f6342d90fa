// The JSON API for evaluation runs under /api/v1/eval-runs: reviewers queue runs (workers execute
// them), and readers list and read the runs and samples their access label lets them see.
import Benchmarks
import Foundation
import Hummingbird
import HTTPTypes
import Platform

struct QueueEvalRunInput: APIInput {
    static let fields: Set<String> = ["suite", "model", "base_url", "model_version_ref", "inquiry_ref", "max_connections", "tlp", "share_orgs"]
    var suite: Suite
    var model: String
    var baseURL: String
    var modelVersionRef: String?
    var inquiryRef: String?
    var maxConnections: Int?
    var tlp: TLP?
    var shareOrgs: [String]?

    enum CodingKeys: String, CodingKey {
        case suite, model, tlp
        case baseURL = "base_url"
        case modelVersionRef = "model_version_ref"
        case inquiryRef = "inquiry_ref"
        case maxConnections = "max_connections"
        case shareOrgs = "share_orgs"
    }
}

struct EvalRunDTO: Encodable, Sendable {
    var id: String
    var modelVersionRef: String?
    var inquiryRef: String?
    var model: String
    var baseURL: String
    var suite: String
    var suiteVersion: String
    var status: String
    var tlp: String
    var ownerOrg: String
    var createdBy: String
    var createdAt: Date
    var claimedBy: String?
    var completedAt: Date?
    var total: Int?
    var samples: Int?
    var errors: Int?
    var score: Double?
    var ciLow: Double?
    var ciHigh: Double?
    var failure: String?
    var statistics: RunStatistics?

    init(_ run: EvalRun) {
        id = run.id
        modelVersionRef = run.modelVersionRef
        inquiryRef = run.inquiryRef
        model = run.model
        baseURL = run.baseURL
        suite = run.suite.name
        suiteVersion = run.suite.version
        status = run.status.rawValue
        tlp = run.label.tlp.name
        ownerOrg = run.label.ownerOrg
        createdBy = run.createdBy
        createdAt = run.createdAt
        claimedBy = run.claimedBy
        completedAt = run.completedAt
        total = run.total
        samples = run.scored
        errors = run.errors
        score = run.score
        ciLow = run.ciLow
        ciHigh = run.ciHigh
        failure = run.failure
        statistics = run.statistics
    }

    enum CodingKeys: String, CodingKey {
        case id, model, suite, status, tlp, total, samples, errors, score, failure, statistics
        case modelVersionRef = "model_version_ref"
        case inquiryRef = "inquiry_ref"
        case baseURL = "base_url"
        case suiteVersion = "suite_version"
        case ownerOrg = "owner_org"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case claimedBy = "claimed_by"
        case completedAt = "completed_at"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
    }
}

struct EvalSampleDTO: Encodable, Sendable {
    var sampleID: String
    var epoch: Int
    var score: Double?
    var answer: String?
    var output: String?
    var error: String?
    var attempts: Int

    enum CodingKeys: String, CodingKey {
        case epoch, score, answer, output, error, attempts
        case sampleID = "sample_id"
    }
}

struct EvalsAPIController {
    let services: AppServices
    var store: EvalRunStore { EvalRunStore(db: services.db) }

    func register(on group: RouterGroup<AppContext>) {
        group.get("eval-runs", use: list)
        group.post("eval-runs", use: queue)
        group.get("eval-runs/:id", use: get)
        group.get("eval-runs/:id/samples", use: samples)
    }

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(QueueEvalRunInput.self, context: context)
        let run = try await Self.queue(services, reader: reader, actor: context.actor, suite: input.suite, model: input.model, baseURL: input.baseURL,
                                       modelVersionRef: input.modelVersionRef, inquiryRef: input.inquiryRef, maxConnections: input.maxConnections,
                                       tlp: input.tlp, shareOrgs: input.shareOrgs ?? [], fieldPrefix: "$.")
        var response = try Response.json(EvalRunDTO(run), status: .created)
        response.headers[.location] = "/api/v1/eval-runs/\(run.id)"
        return response
    }

    /// Queues a run for the API and the web form alike: reviewers and administrators only, the
    /// endpoint an http(s) URL, the frontier references checked, the owning organisation the caller's.
    static func queue(_ services: AppServices, reader: Reader, actor: String, suite: Suite, model: String, baseURL: String,
                      modelVersionRef: String?, inquiryRef: String?, maxConnections: Int?, tlp: TLP?, shareOrgs: [String],
                      fieldPrefix: String) async throws -> EvalRun {
        guard reader.role == .reviewer || reader.isAdmin else { throw DomainError.forbidden("only reviewers queue evaluation runs") }
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw DomainError.invalid(field: fieldPrefix + "base_url", reason: "an http or https URL")
        }
        let refs = try await EvalRunReferences.resolve(services, reader: reader, modelVersionRef: modelVersionRef, inquiryRef: inquiryRef,
                                                       fieldPrefix: fieldPrefix)
        let label = AccessLabel(tlp: tlp ?? .amber, ownerOrg: reader.orgId, orgs: shareOrgs)
        return try await EvalRunStore(db: services.db).queue(
            suite: suite, model: model, baseURL: baseURL, modelVersionRef: refs.version, inquiryRef: refs.inquiry,
            maxConnections: maxConnections ?? 100, label: label, actor: actor, at: services.clock.now())
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let q = Query(request)
        let limit = try q.int("limit", range: 1...500) ?? 50
        let offset = try q.int("offset", range: 0...1_000_000) ?? 0
        let ref = try q.string("model_version_ref", maxLength: 200)
        let model = try q.string("model", maxLength: 200)
        let status = try Self.status(try q.string("status", maxLength: 20))
        let runs = try await store.list(reader: reader, modelVersionRef: ref, status: status, model: model, limit: limit, offset: offset)
        return try .json(Page(items: runs.map(EvalRunDTO.init), total: try await store.count(reader: reader, modelVersionRef: ref, status: status, model: model),
                              limit: limit, offset: offset))
    }

    /// The `status` filter of the runs list (API and page): absent or empty means any.
    static func status(_ raw: String?) throws -> EvalRun.Status? {
        guard let raw, !raw.isEmpty else { return nil }
        guard let status = EvalRun.Status(rawValue: raw) else { throw DomainError.invalid(field: "status", reason: "queued, running, done or failed") }
        return status
    }

    @Sendable func get(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        return try .json(EvalRunDTO(try await store.run(id: try context.parameters.require("id"), reader: reader)))
    }

    @Sendable func samples(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let run = try await store.run(id: try context.parameters.require("id"), reader: reader)
        let records = try await store.samples(runID: run.id)
        return try .json(records.map {
            EvalSampleDTO(sampleID: $0.sampleID, epoch: $0.epoch, score: $0.error == nil ? $0.score?.value : nil, answer: $0.score?.answer,
                          output: $0.output, error: $0.error, attempts: $0.timing.attempts)
        })
    }
}
