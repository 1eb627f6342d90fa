// The frontier program's pages: models, a model version (compute interval against every policy's
// threshold, verdicts with explanations, the ledger with the rule that included or excluded each
// item, windows with their clocks, inquiries with designations), and the Epoch landscape.
// Pages read; the developer's actions (release, end, extend, withdraw) are API calls that nothing
// on these pages can hold back.
import Foundation
import Frontier
import Hummingbird
import Platform

struct FrontierWebController {
    let services: AppServices
    let store: FrontierStore
    var web: WebController { WebController(services: services) }

    func register(on router: Router<AppContext>) {
        router.get("/frontier", use: models)
        router.get("/frontier/models/:id", use: model)
        router.get("/frontier/versions/:id", use: version)
        router.get("/frontier/landscape", use: landscape)
        router.post("/frontier/versions/:id/release", use: release)
        router.post("/frontier/windows/:id/end", use: endWindow)
        router.post("/frontier/windows/:id/withdraw", use: withdrawWindow)
        router.post("/frontier/windows/:id/accept", use: acceptTerms)
        router.post("/frontier/inquiries/:id/designations", use: designate)
    }

    // MARK: actions (signed-in forms with the session's CSRF token; each returns to the version page)

    /// Checks the form, runs `action` on the record named in the path, and returns to its version page.
    func formAction(_ request: Request, _ context: AppContext,
                    _ action: @Sendable (Reader, Form, String, Date) async throws -> String) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let versionId = try await action(reader, form, try context.parameters.require("id"), services.clock.now())
        return .redirect(to: "/frontier/versions/\(versionId)", type: .normal)
    }

    @Sendable func release(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, _, id, now in try await store.release(reader, versionId: id, at: now).id }
    }

    @Sendable func endWindow(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, _, id, now in try await store.endWindow(reader, windowId: id, at: now).versionId }
    }

    @Sendable func withdrawWindow(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, _, id, now in try await store.withdrawWindow(reader, windowId: id, at: now).versionId }
    }

    @Sendable func acceptTerms(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, form, id, now in
            try await store.acceptTerms(reader, windowId: id, termsVersion: form.values["terms_version"] ?? "", at: now).versionId
        }
    }

    @Sendable func designate(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, form, id, now in
            guard let designation = Designation(rawValue: form.values["designation"] ?? "") else {
                throw DomainError.invalid(field: "designation", reason: "choose covered, not covered or deferred")
            }
            _ = try await store.recordDesignation(reader, inquiryId: id, designation: designation, rationale: form.values["rationale"] ?? "", at: now)
            return try await store.inquiry(reader, id: id).versionId
        }
    }

    static let pageSize = 50

    @Sendable func models(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let offset = try Query(request).int("offset", range: 0...1_000_000) ?? 0
        let models = try await store.models(reader, limit: Self.pageSize + 1, offset: offset)
        let rows = models.prefix(Self.pageSize).map { ["id": $0.id, "name": $0.name, "tlp": $0.label.tlp.label, "created": $0.createdAt.utcDisplay] }
        let inbox = try await store.designationsForDeveloper(reader, limit: 20).map { n -> [String: Any] in
            ["version": n.version, "designation": n.designation.designation.rawValue, "recorded": n.designation.recordedAt.utcDisplay,
             "rationale": n.designation.rationale]
        }
        let model: [String: Any] = [
            "inbox": inbox, "hasInbox": !inbox.isEmpty,
            "models": Array(rows), "count": rows.count, "offset": offset,
            "next": models.count > Self.pageSize ? "/frontier?offset=\(offset + Self.pageSize)" : nil as String? as Any,
            "previous": offset > 0 ? "/frontier?offset=\(max(0, offset - Self.pageSize))" : nil as String? as Any,
        ]
        return services.pages.render("frontier-models", model, chrome: try await web.chrome("Frontier models", nav: "frontier", context: context))
    }

    @Sendable func model(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let id = try context.parameters.require("id")
        let m = try await store.model(reader, id: id)
        let versions = try await store.versions(reader, modelId: id).map { v -> [String: Any] in
            ["id": v.id, "version": v.version, "architecture": v.architecture,
             "status": v.releasedAt.map { "released \($0.utcDisplay)" } ?? "not released",
             "planned": v.plannedRelease ?? "not stated"]
        }
        return services.pages.render("frontier-model", ["name": m.name, "versions": versions, "count": versions.count],
                                     chrome: try await web.chrome(m.name, nav: "frontier", context: context))
    }

    @Sendable func version(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let id = try context.parameters.require("id")
        let now = services.clock.now()
        let v = try await store.version(reader, id: id)
        let ledger = try await store.ledger(reader, versionId: id)
        let verdicts = try await store.assess(reader, versionId: id, at: now)
        let windows = try await store.windows(reader, versionId: id)
        let inquiries = try await store.inquiries(reader, versionId: id)
        let set = try await store.policySet()
        let title = "\(v.modelName) \(v.version)"
        let gross = ledger.isEmpty ? (try await store.description(reader, versionId: id))?.ledger.grossTotal : ComputeLedger(items: ledger.map(\.item)).grossTotal
        let chart = FrontierViews.intervalChart(name: title, interval: gross, thresholds: FrontierViews.thresholdLines(set, now: now))
        let verdictRows = verdicts.map { verdict -> [String: Any] in
            [
                "policy": verdict.policyID, "version": verdict.policyVersion, "verdict": verdict.verdict.rawValue,
                "counted": verdict.countedCompute.map { "\(FrontierNumber.scientific($0.central)) (\(FrontierNumber.scientific($0.low)) to \(FrontierNumber.scientific($0.high)))" } ?? "not a compute policy",
                "explanation": verdict.explanation.split(separator: "\n").map(String.init),
                "hasItems": !verdict.itemDecisions.isEmpty,
                "items": verdict.itemDecisions.map { ["label": $0.label, "category": $0.category.rawValue, "counts": $0.counts ? "included" : "excluded", "reason": $0.reason] },
            ]
        }
        let ledgerRows = ledger.map { s -> [String: Any] in
            let i = s.item.estimate.interval
            return ["label": s.item.label, "category": s.item.category.rawValue, "method": s.item.estimate.method.rawValue,
                    "flop": FrontierNumber.scientific(i.central), "low": FrontierNumber.scientific(i.low), "high": FrontierNumber.scientific(i.high),
                    "basis": s.item.estimate.basis]
        }
        var orgNames: [String: String] = [:]
        for id in Set(windows.flatMap { $0.invitees.map(\.orgId) }) {
            orgNames[id] = try await services.directory.organisation(id: id)?.name
        }
        let developer = reader.orgId == v.developerOrg && reader.mayWrite
        let reviewer = reader.orgKind == .government && (reader.role == .reviewer || reader.role == .admin) && reader.mayWrite
        let windowRows = windows.map { w -> [String: Any] in
            let live = w.status(at: now) == .open || w.status(at: now) == .scheduled
            let mine = w.invitees.first { $0.orgId == reader.orgId }
            return ["id": w.id, "canEnd": developer && live, "canAccept": mine != nil && mine?.acceptedAt == nil && live,
             "starts": w.startsAt.utcDisplay, "ends": w.endsAt.utcDisplay, "status": w.status(at: now).rawValue,
             "clock": FrontierViews.clock(w, now: now), "terms": w.termsVersion,
             "invitees": w.invitees.map { ["org": orgNames[$0.orgId] ?? $0.orgId, "accepted": $0.acceptedAt.map { "accepted terms \($0.utcDisplay)" } ?? "has not accepted the terms"] }]
        }
        let inquiryRows = inquiries.map { q -> [String: Any] in
            ["id": q.id, "canDesignate": reviewer, "question": q.question, "opened": q.openedAt.utcDisplay, "openedBy": q.openedBy,
             "designations": q.designations.map { ["designation": $0.designation.rawValue, "rationale": $0.rationale, "recorded": $0.recordedAt.utcDisplay, "by": $0.recordedBy, "tlp": $0.label.tlp.label] },
             "none": q.designations.isEmpty]
        }
        let model: [String: Any] = [
            "title": title, "modelId": v.modelId, "architecture": v.architecture,
            "parameters": v.totalParameters.map(FrontierNumber.scientific) ?? "not stated",
            "active": v.activeParameters.map(FrontierNumber.scientific) ?? "not stated",
            "tokens": v.trainingTokens.map(FrontierNumber.scientific) ?? "not stated",
            "hardware": v.trainingHardware ?? "not stated", "planned": v.plannedRelease ?? "not stated",
            "modalities": v.modalities.joined(separator: ", "), "endpoint": v.endpointURL ?? "none",
            "released": v.releasedAt.map { "Released \($0.utcDisplay)" } ?? "Not released. The developer may release at any time; nothing here needs to happen first.",
            "id": v.id, "canRelease": developer && v.releasedAt == nil,
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
            "chart": chart, "verdicts": verdictRows, "ledger": ledgerRows, "hasLedger": !ledgerRows.isEmpty,
            "windows": windowRows, "hasWindows": !windowRows.isEmpty, "inquiries": inquiryRows, "hasInquiries": !inquiryRows.isEmpty,
        ]
        return services.pages.render("frontier-version", model, chrome: try await web.chrome(title, nav: "frontier", context: context))
    }

    @Sendable func landscape(_ request: Request, context: AppContext) async throws -> Response {
        guard try web.signedIn(request, context) != nil else { return web.redirectToLogin(request) }
        let now = services.clock.now()
        let points = try await store.referencePoints()
        let lines = FrontierViews.thresholdLines(try await store.policySet(), now: now)
        let above = lines.map { t -> [String: Any] in
            let models = points.filter { $0.trainingComputeFLOP > t.flop }
            return ["threshold": t.label, "count": models.count,
                    "names": models.count <= 30 ? models.map(\.name).joined(separator: ", ") : "\(models.count) models"]
        }
        let model: [String: Any] = [
            "chart": FrontierViews.landscapeChart(points: points, thresholds: lines), "count": points.count, "above": above, "empty": points.isEmpty,
        ]
        return services.pages.render("frontier-landscape", model, chrome: try await web.chrome("Frontier landscape", nav: "frontier", context: context))
    }
}
