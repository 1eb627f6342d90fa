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
        router.post("/frontier/models", use: createModel)
        router.post("/frontier/models/:id/versions", use: createVersion)
        router.post("/frontier/versions/:id/ledger", use: addLedgerItem)
        router.post("/frontier/versions/:id/inquiries", use: openInquiry)
        router.post("/frontier/versions/:id/windows", use: openWindow)
    }

    // MARK: developer forms

    @Sendable func createModel(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let model = try await store.createModel(reader, name: form.values["name"] ?? "", at: services.clock.now())
        return .redirect(to: "/frontier/models/\(model.id)", type: .normal)
    }

    @Sendable func createVersion(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, form, id, now in
            func number(_ key: String) throws -> Double? {
                guard let raw = Self.value(form, key) else { return nil }
                guard let value = FrontierNumber.parse(raw) else { throw DomainError.invalid(field: key, reason: "a number such as 70e9") }
                return value
            }
            var input = VersionInput(version: Self.value(form, "version") ?? "")
            input.architecture = Self.value(form, "architecture") ?? "dense"
            input.totalParameters = try number("total_parameters")
            input.activeParameters = try number("active_parameters")
            input.trainingTokens = try number("training_tokens")
            input.trainingHardware = Self.value(form, "training_hardware")
            input.plannedRelease = Self.value(form, "planned_release")
            input.modalities = (Self.value(form, "modalities") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            input.endpointURL = Self.value(form, "endpoint_url")
            input.endpointCredential = Self.value(form, "endpoint_credential")
            return try await store.createVersion(reader, modelId: id, input: input, at: now).id
        }
    }

    /// The form's non-empty fields become one ledger item in the model file's form, so the page
    /// and the API accept exactly the same items with the same messages.
    @Sendable func addLedgerItem(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, form, id, now in
            var object: [String: String] = [:]
            for key in ["label", "category", "flop", "flop_low", "flop_high", "parameters", "active_parameters", "training_tokens",
                        "accelerator", "count", "hours", "utilization", "precision"] {
                if let value = Self.value(form, key) { object[key] = value }
            }
            let json = try JSONSerialization.data(withJSONObject: object)
            let item: LedgerItem
            do { item = try ModelDescription.parseLedgerItem(json: json, catalogue: store.catalogue) } catch let e as FrontierError { throw FrontierStore.domain(e) }
            _ = try await store.addLedgerItem(reader, versionId: id, item: item, at: now)
            return id
        }
    }

    @Sendable func openInquiry(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, form, id, now in
            _ = try await store.openInquiry(reader, versionId: id, question: Self.value(form, "question") ?? "",
                                            governmentOrgs: Self.value(form, "government_org").map { [$0] } ?? [], at: now)
            return id
        }
    }

    @Sendable func openWindow(_ request: Request, context: AppContext) async throws -> Response {
        try await formAction(request, context) { reader, form, id, now in
            func day(_ key: String) throws -> Date {
                guard let raw = Self.value(form, key), let date = try? Date(raw + "T00:00:00Z", strategy: .iso8601) else {
                    throw DomainError.invalid(field: key, reason: "a date")
                }
                return date
            }
            let invitees = (Self.value(form, "invitees") ?? "").split(separator: ",").map(String.init)
            _ = try await store.openWindow(reader, versionId: id, start: try day("starts_on"), end: try day("ends_on"), invitees: invitees, at: now)
            return id
        }
    }

    static func value(_ form: Form, _ key: String) -> String? {
        guard let v = form.values[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
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
            "canRegister": reader.orgKind == .aiDeveloper && reader.mayWrite,
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
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
        let canAdd = reader.orgId == m.developerOrg && reader.mayWrite
        return services.pages.render("frontier-model", ["id": m.id, "name": m.name, "versions": versions, "count": versions.count, "canAdd": canAdd,
                                                        "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? ""],
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
            "id": v.id, "canRelease": developer && v.releasedAt == nil, "isDeveloper": developer,
            "categories": LedgerCategory.allCases.map(\.rawValue),
            "governmentOrgs": developer ? try await orgOptions([.government]) : [],
            "inviteeOrgs": developer ? try await orgOptions([.government, .trustedPartner]) : [],
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
            "chart": chart, "verdicts": verdictRows, "ledger": ledgerRows, "hasLedger": !ledgerRows.isEmpty,
            "windows": windowRows, "hasWindows": !windowRows.isEmpty, "inquiries": inquiryRows, "hasInquiries": !inquiryRows.isEmpty,
        ]
        return services.pages.render("frontier-version", model, chrome: try await web.chrome(title, nav: "frontier", context: context))
    }

    /// Organisations a developer may name, for the inquiry and window forms.
    func orgOptions(_ kinds: Set<OrganisationKind>) async throws -> [[String: String]] {
        try await services.directory.organisations(limit: 1000).filter { kinds.contains($0.kind) }.map { ["id": $0.id, "name": $0.name, "kind": $0.kind.rawValue] }
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
