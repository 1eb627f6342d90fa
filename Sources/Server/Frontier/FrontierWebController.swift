// The frontier program's pages: models, a model version (compute interval against every policy's
// threshold, verdicts with explanations, the ledger with the rule that included or excluded each
// item, windows with their clocks, inquiries with designations), and the Epoch landscape.
// Pages read; the developer's actions (release, end, extend, withdraw) are API calls that nothing
// on these pages can hold back.
import Foundation
import Frontier
import HTTPTypes
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
        router.post("/frontier/windows/:id/extend", use: extendWindow)
        router.get("/frontier/windows/:id", use: windowPage)
        router.get("/frontier/terms", use: termsPage)
        router.post("/frontier/terms", use: publishTerms)
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

    /// Opens a window for every organisation ticked. A refused form comes back with the message
    /// next to the field it concerns and the values entered kept.
    @Sendable func openWindow(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        let now = services.clock.now()
        do {
            func day(_ key: String) throws -> Date {
                guard let raw = Self.value(form, key), let date = try? Date(raw + "T00:00:00Z", strategy: .iso8601) else {
                    throw DomainError.invalid(field: key, reason: "enter a date (YYYY-MM-DD)")
                }
                return date
            }
            let invitees = (form.lists["invitees"] ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !invitees.isEmpty else { throw DomainError.invalid(field: "invitees", reason: "tick at least one organisation") }
            _ = try await store.openWindow(reader, versionId: id, start: try day("starts_on"), end: try day("ends_on"), invitees: invitees, at: now)
        } catch DomainError.invalid(let field, let reason) {
            let key = field.hasPrefix("$.invitees") || field == "invitees" ? "invitees" : field == "$.ends_at" ? "ends_on" : field.hasPrefix("$.") ? "ends_on" : field
            return try await versionPage(reader, id: id, context: context, errors: FormErrors(form: "window", field: key, message: reason, values: form),
                                         status: .unprocessableContent)
        }
        return .redirect(to: "/frontier/versions/\(id)", type: .normal)
    }

    /// The developer moves a window's end later, never beyond the configured maximum from its start.
    @Sendable func extendWindow(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let windowId = try context.parameters.require("id")
        let now = services.clock.now()
        let window = try await store.window(reader, id: windowId)
        do {
            guard let raw = Self.value(form, "ends_at"), let end = Self.parseTime(raw) else {
                throw DomainError.invalid(field: "ends_at", reason: "enter a UTC date and time (YYYY-MM-DDTHH:MM)")
            }
            _ = try await store.extendWindow(reader, windowId: windowId, to: end, at: now)
        } catch let error as DomainError {
            let message: String
            switch error {
            case .invalid(_, let reason): message = reason
            case .conflict(let why): message = why
            default: throw error
            }
            return try await versionPage(reader, id: window.versionId, context: context,
                                         errors: FormErrors(form: "extend-\(windowId)", field: "ends_at", message: message, values: form),
                                         status: .unprocessableContent)
        }
        return .redirect(to: "/frontier/versions/\(window.versionId)", type: .normal)
    }

    /// `2026-07-01T12:00` (what a datetime-local field sends, read as UTC), or a full ISO 8601 time.
    static func parseTime(_ raw: String) -> Date? {
        if let d = Date.parseISO8601(raw) { return d }
        let withSeconds = raw.count == 16 ? raw + ":00Z" : raw + "Z"
        return Date.parseISO8601(withSeconds)
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
        return try await versionPage(reader, id: try context.parameters.require("id"), context: context, errors: nil, status: .ok)
    }

    /// A refused form's message, shown next to its field, with the values the person entered.
    struct FormErrors {
        let form: String
        let field: String
        let message: String
        let values: Form
        func at(_ form: String, _ field: String) -> String? { form == self.form && field == self.field ? message : nil }
    }

    func versionPage(_ reader: Reader, id: String, context: AppContext, errors: FormErrors?, status: HTTPResponse.Status) async throws -> Response {
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
            let extendKey = "extend-\(w.id)"
            return ["id": w.id, "canEnd": developer && live, "canAccept": mine != nil && mine?.acceptedAt == nil && live,
             "canExtend": developer && w.withdrawnAt == nil && w.endsAt > now,
             "latestEnd": Self.minuteField(w.startsAt.addingTimeInterval(TimeInterval(store.settings.maximumWindowDays) * 86_400)),
             "extendValue": errors?.form == extendKey ? errors?.values.values["ends_at"] ?? "" : Self.minuteField(w.endsAt),
             "extendError": errors?.at(extendKey, "ends_at") as Any,
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
            "inviteeOrgs": developer ? try await orgOptions([.government, .trustedPartner]).map { org -> [String: Any] in
                var o: [String: Any] = org
                o["checked"] = errors?.form == "window" && (errors?.values.lists["invitees"] ?? []).contains(org["id"] ?? "")
                return o
            } : [],
            "maxDays": store.settings.maximumWindowDays,
            "windowStartsValue": errors?.form == "window" ? errors?.values.values["starts_on"] ?? "" : "",
            "windowEndsValue": errors?.form == "window" ? errors?.values.values["ends_on"] ?? "" : "",
            "errStartsOn": errors?.at("window", "starts_on") as Any,
            "errEndsOn": errors?.at("window", "ends_on") as Any,
            "errInvitees": errors?.at("window", "invitees") as Any,
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
            "chart": chart, "verdicts": verdictRows, "ledger": ledgerRows, "hasLedger": !ledgerRows.isEmpty,
            "windows": windowRows, "hasWindows": !windowRows.isEmpty, "inquiries": inquiryRows, "hasInquiries": !inquiryRows.isEmpty,
        ]
        return services.pages.render("frontier-version", model, chrome: try await web.chrome(errors == nil ? title : "Error: \(title)", nav: "frontier", context: context),
                                     status: status)
    }

    /// The value of a `datetime-local` field for a UTC time, to the minute.
    static func minuteField(_ date: Date) -> String { String(date.iso8601.prefix(16)) }

    /// One window: its clock and invitees, the text of the terms version it is under, the accept
    /// form for an invitee that has not accepted, and the endpoint credential for whoever is entitled
    /// to it now (an invitee: only while the window is open and after it accepted).
    @Sendable func windowPage(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let now = services.clock.now()
        let w = try await store.window(reader, id: try context.parameters.require("id"))
        let v = try await store.version(reader, id: w.versionId)
        let terms = try await store.terms(version: w.termsVersion)
        let mine = w.invitees.first { $0.orgId == reader.orgId }
        let status = w.status(at: now)
        let live = status == .open || status == .scheduled
        var invitees: [[String: Any]] = []
        for i in w.invitees {
            invitees.append(["org": try await services.directory.organisation(id: i.orgId)?.name ?? i.orgId,
                             "accepted": i.acceptedAt.map { "accepted terms version \(i.acceptedTermsVersion ?? w.termsVersion) at \($0.utcDisplay)" } ?? "has not accepted the terms"])
        }
        let credential = try await store.endpointCredential(reader, versionId: w.versionId, at: now)
        let credentialNote: String
        if credential != nil {
            credentialNote = reader.orgId == v.developerOrg ? "You are the developer." : "Shown because this window is open and your organisation accepted its terms."
        } else if mine == nil {
            credentialNote = "Shown only to the developer and to invitees."
        } else if mine?.acceptedAt == nil {
            credentialNote = "Accept the protection terms to see the endpoint credential while the window is open."
        } else {
            credentialNote = status == .scheduled ? "Shown once the window opens at \(w.startsAt.utcDisplay)." : "The window is \(status.rawValue); the credential is no longer shown."
        }
        let title = "Access window for \(v.modelName) \(v.version)"
        let model: [String: Any] = [
            "title": title, "id": w.id, "versionId": v.id, "starts": w.startsAt.utcDisplay, "ends": w.endsAt.utcDisplay,
            "status": status.rawValue, "clock": FrontierViews.clock(w, now: now), "termsVersion": w.termsVersion,
            "termsBody": (terms?.body ?? "").split(separator: "\n").map(String.init), "invitees": invitees,
            "canAccept": mine != nil && mine?.acceptedAt == nil && live && reader.mayWrite,
            "accepted": mine?.acceptedAt.map { "Your organisation accepted terms version \(mine?.acceptedTermsVersion ?? w.termsVersion) at \($0.utcDisplay)." } as Any,
            "endpoint": v.endpointURL ?? "none", "credential": credential as Any, "credentialNote": credentialNote,
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
        ]
        return services.pages.render("frontier-window", model, chrome: try await web.chrome(title, nav: "frontier", context: context))
    }

    /// Every published version of the protection terms; administrators publish a new one here.
    @Sendable func termsPage(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderTerms(reader, context: context, error: nil, form: nil, status: .ok)
    }

    func renderTerms(_ reader: Reader, context: AppContext, error: (field: String, message: String)?, form: Form?, status: HTTPResponse.Status) async throws -> Response {
        let now = services.clock.now()
        _ = try await store.currentTerms(at: now)
        let versions = try await store.termsVersions()
        let rows = versions.enumerated().map { i, t -> [String: Any] in
            ["version": t.version, "published": t.publishedAt.utcDisplay, "current": i == 0 ? "current: new windows use it" : "earlier",
             "paragraphs": t.body.split(separator: "\n").map(String.init)]
        }
        let model: [String: Any] = [
            "versions": rows, "count": rows.count, "canPublish": reader.isAdmin && reader.mayWrite,
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
            "errVersion": error?.field == "version" ? error?.message as Any : nil as String? as Any,
            "errBody": error?.field == "body" ? error?.message as Any : nil as String? as Any,
            "versionValue": form?.values["version"] ?? "", "bodyValue": form?.values["body"] ?? "",
        ]
        return services.pages.render("frontier-terms", model, chrome: try await web.chrome(error == nil ? "Protection terms" : "Error: protection terms", nav: "frontier", context: context),
                                     status: status)
    }

    @Sendable func publishTerms(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        guard reader.isAdmin else { throw DomainError.forbidden("only administrators publish protection terms") }
        do {
            _ = try await store.publishTerms(reader, version: Self.value(form, "version") ?? "", body: form.values["body"] ?? "", at: services.clock.now())
        } catch let error as DomainError {
            switch error {
            case .invalid(let field, let reason):
                return try await renderTerms(reader, context: context, error: (field.replacingOccurrences(of: "$.", with: ""), reason), form: form, status: .unprocessableContent)
            case .conflict(let why):
                return try await renderTerms(reader, context: context, error: ("version", why), form: form, status: .conflict)
            default: throw error
            }
        }
        return .redirect(to: "/frontier/terms", type: .normal)
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
