// The defensive tool access pages (EO 14409 §2): the offerings list with the reader's eligibility
// and each reason it is not eligible (filterable, paginated); the defender profile form; the
// provider's forms to list, edit and retire an offering; the offering page (request with a
// purpose, usage summary, the requests and grants the reader may see, offering a freed place to
// the wait-list); request pages with the decision form; grant pages with usage reports and early
// end; and for coordinators the demand and coverage by sector and jurisdiction as a table and an
// SVG chart with a text alternative. Forms carry the CSRF token; a rejected form keeps what was
// typed and shows the message beside the field it concerns.
import Defenders
import Foundation
import Hummingbird
import HTTPTypes
import Platform

struct ToolAccessPages {
    let services: AppServices
    var store: ToolAccessStore { ToolAccessStore(db: services.db, clock: services.clock) }
    var web: WebController { WebController(services: services) }
    var api: ToolAccessController { ToolAccessController(services: services) }

    func register(on router: Router<AppContext>) {
        router.get("/tools", use: page)
        router.get("/tools/profile", use: profileForm)
        router.post("/tools/profile", use: saveProfile)
        router.get("/tools/offerings/new", use: newOffering)
        router.post("/tools/offerings", use: createOffering)
        router.get("/tools/offerings/:id", use: offering)
        router.get("/tools/offerings/:id/edit", use: editOffering)
        router.post("/tools/offerings/:id", use: updateOffering)
        router.post("/tools/offerings/:id/retire", use: retire)
        router.post("/tools/offerings/:id/requests", use: request)
        router.post("/tools/offerings/:id/offer-next", use: offerNext)
        router.get("/tools/requests", use: requests)
        router.get("/tools/requests/:id", use: requestPage)
        router.post("/tools/requests/:id/decision", use: decide)
        router.get("/tools/grants/:id", use: grantPage)
        router.post("/tools/grants/:id/end", use: endGrant)
        router.post("/tools/grants/:id/usage", use: usage)
    }

    // MARK: helpers

    /// The model keys a rejected form needs: the message for the summary and, under `err_FIELD`,
    /// the message beside the field (`capabilities[1]` belongs to `capabilities`).
    static func fieldError(_ field: String, _ reason: String) -> [String: Any] {
        let bare = field.hasPrefix("$.") ? String(field.dropFirst(2)) : field
        let base = String(bare.prefix { $0 != "[" && $0 != "." })
        return ["error": "\(base.replacingOccurrences(of: "_", with: " ")): \(reason)", "err_\(base)": reason]
    }

    /// Runs a form's action. Input that breaks a rule re-renders the page with the message beside its
    /// field (422); a state that no longer allows the action, with the message on top (409).
    func formAction(_ action: () async throws -> Response,
                    rerender: ([String: Any], HTTPResponse.Status) async throws -> Response) async throws -> Response {
        do { return try await action() } catch let DomainError.invalid(field, reason) {
            return try await rerender(Self.fieldError(field, reason), .unprocessableContent)
        } catch let DomainError.conflict(message) {
            return try await rerender(["error": message], .conflict)
        }
    }

    static func values(_ form: Form?, _ keys: [String]) -> [String: Any] {
        var out: [String: Any] = [:]
        for k in keys { out["v_\(k)"] = form?.values[k] ?? "" }
        return out
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func int(_ form: Form, _ key: String) throws -> Int? {
        guard let raw = form[key] else { return nil }
        guard let n = Int(raw) else { throw DomainError.invalid(field: key, reason: "must be a whole number") }
        return n
    }

    func render(_ template: String, _ title: String, _ model: [String: Any], context: AppContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        let chrome = try await web.chrome(title, nav: "tools", context: context)
        var m = model
        m["csrf"] = chrome.csrf
        return services.pages.render(template, m, chrome: chrome, status: status)
    }

    static func state(_ s: AccessDecision) -> String {
        switch s {
        case .requested: "Requested, awaiting a decision"
        case .approved: "Approved"
        case .waitlisted: "Wait-listed"
        case .declined: "Declined"
        }
    }

    static func status(_ s: GrantStatus) -> String {
        switch s {
        case .scheduled: "Scheduled (not started)"
        case .active: "Active"
        case .expired: "Ended at its end date"
        case .ended: "Ended early"
        }
    }

    static func quantity(_ q: Double) -> String { q == q.rounded() && abs(q) < 1e15 ? String(Int64(q)) : String(format: "%.2f", q) }

    // MARK: offerings list and coverage

    /// Horizontal bars: defenders per sector and jurisdiction, the covered part filled.
    static func chart(_ rows: [CoverageRow]) -> String {
        let maxValue = max(1, rows.map(\.defenders).max() ?? 1)
        let rowHeight = 28, labelWidth = 200, barWidth = 360
        var bars = ""
        for (i, r) in rows.enumerated() {
            let y = i * rowHeight + 10
            let total = r.defenders * barWidth / maxValue, covered = r.covered * barWidth / maxValue
            let label = "\(r.sector), \(r.jurisdiction)".replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            bars += """
                <text x="0" y="\(y + 15)" font-size="13">\(label)</text>\
                <rect x="\(labelWidth)" y="\(y)" width="\(total)" height="20" fill="#dfe1e2"/>\
                <rect x="\(labelWidth)" y="\(y)" width="\(covered)" height="20" fill="#005ea2"/>\
                <text x="\(labelWidth + total + 6)" y="\(y + 15)" font-size="13">\(r.covered) of \(r.defenders) covered</text>
                """
        }
        let height = rows.count * rowHeight + 20
        return """
            <svg role="img" aria-labelledby="cov-title cov-desc" width="\(labelWidth + barWidth + 140)" height="\(height)" viewBox="0 0 \(labelWidth + barWidth + 140) \(height)">\
            <title id="cov-title">Defender coverage by sector and jurisdiction</title>\
            <desc id="cov-desc">For each sector and jurisdiction, the grey bar is the number of defender organisations and the blue part those eligible for at least one offering. The table below gives the same figures.</desc>\
            \(bars)</svg>
            """
    }

    @Sendable func page(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let q = Query(request)
        let f = try ToolAccessController.listFilter(q)
        let listed = try await api.filteredOfferings(reader, q)
        let offerings: [[String: Any]] = listed.items.map { v in
            ["id": v.offering.id, "name": v.offering.name, "capability": v.offering.capabilities.joined(separator: ", "), "model": v.offering.modelReference,
             "capacity": "\(v.approved) of \(v.offering.capacity) places taken" + (v.waiting > 0 ? ", \(v.waiting) waiting" : ""),
             "terms": v.offering.terms, "eligible": v.eligible, "reasons": v.reasons, "retired": v.offering.retired,
             "request": v.ownRequest.map(Self.state) ?? "none"]
        }
        let query = ["capability": f.capability ?? "", "sector": f.sector ?? "", "eligible": f.eligibleOnly ? "true" : "",
                     "include_retired": f.includeRetired ? "true" : ""]
        var model: [String: Any] = [
            "offerings": offerings, "hasOfferings": !offerings.isEmpty, "total": listed.total, "capability": query["capability"]!,
            "eligibleOnly": f.eligibleOnly, "includeRetired": f.includeRetired,
            "sectors": DefenderProfile.sectors.map { ["value": $0, "selected": $0 == f.sector] },
            "provider": reader.isAdmin || ToolAccessStore.providerKinds.contains(reader.orgKind),
            "hasProfile": try await store.profile(orgId: reader.orgId) != nil,
        ]
        if let pager = WebController.pager(path: "/tools", query: query, offset: listed.offset, limit: listed.limit, total: listed.total) { model["pager"] = pager }
        if ToolAccessStore.isCoordinator(reader) {
            let rows = try await store.coverage()
            model["coordinator"] = true
            model["coverage"] = rows.map { ["sector": $0.sector, "jurisdiction": $0.jurisdiction, "defenders": $0.defenders, "covered": $0.covered,
                                            "requests": $0.requests, "approved": $0.approved, "gap": $0.covered < $0.defenders] }
            model["chart"] = Self.chart(rows)
        }
        return try await render("tools", "Defensive tool access", model, context: context)
    }

    // MARK: profile

    func renderProfile(_ context: AppContext, reader: Reader, form: Form?, error: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let current = try await store.profile(orgId: reader.orgId)
        var model = Self.values(form, ["employees", "jurisdiction"]).merging(error) { $1 }
        if form == nil, let current {
            model["v_employees"] = String(current.employees)
            model["v_jurisdiction"] = current.jurisdiction
        }
        let sector = form?["sector"] ?? current?.sector
        model["sectors"] = DefenderProfile.sectors.map { ["value": $0, "selected": $0 == sector] }
        model["hasProfile"] = current != nil
        return try await render("tools-profile", "Your defender profile", model, context: context, status: status)
    }

    @Sendable func profileForm(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderProfile(context, reader: reader, form: nil, error: [:], status: .ok)
    }

    @Sendable func saveProfile(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        return try await formAction({
            guard let employees = try Self.int(form, "employees") else { throw DomainError.invalid(field: "employees", reason: "is required") }
            try await store.setProfile(sector: form["sector"] ?? "", employees: employees, jurisdiction: form["jurisdiction"] ?? "", by: reader)
            return .redirect(to: "/tools?eligible=true", type: .normal)
        }, rerender: { error, status in
            try await renderProfile(context, reader: reader, form: form, error: error, status: status)
        })
    }

    // MARK: offering forms

    static let offeringKeys = ["name", "other_capabilities", "model_version_id", "model_reference", "jurisdictions", "min_employees",
                               "max_employees", "capacity", "terms"]

    static func offering(_ form: Form) throws -> ToolOffering {
        var capabilities = ToolOffering.commonCapabilities.enumerated().filter { form["cap_\($0.offset)"] != nil }.map(\.element)
        capabilities += list(form["other_capabilities"])
        guard let capacity = try int(form, "capacity") else { throw DomainError.invalid(field: "capacity", reason: "is required") }
        return ToolOffering(name: form["name"] ?? "", capabilities: capabilities, modelVersionId: form["model_version_id"],
                            modelReference: form["model_reference"] ?? "",
                            orgKinds: OrganisationKind.allCases.map(\.rawValue).filter { form["kind_\($0)"] != nil },
                            sectors: DefenderProfile.sectors.filter { form["sector_\($0)"] != nil }, jurisdictions: list(form["jurisdictions"]),
                            minEmployees: try int(form, "min_employees"), maxEmployees: try int(form, "max_employees"), capacity: capacity,
                            terms: form.values["terms"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
    }

    func renderOfferingForm(_ context: AppContext, existing: ToolOffering?, form: Form?, error: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        var model = Self.values(form, Self.offeringKeys).merging(error) { $1 }
        var chosenCaps = Set<String>(), kinds = Set<String>(), sectors = Set<String>()
        if let form {
            for (i, c) in ToolOffering.commonCapabilities.enumerated() where form["cap_\(i)"] != nil { chosenCaps.insert(c) }
            kinds = Set(OrganisationKind.allCases.map(\.rawValue).filter { form["kind_\($0)"] != nil })
            sectors = Set(DefenderProfile.sectors.filter { form["sector_\($0)"] != nil })
        } else if let o = existing {
            chosenCaps = Set(o.capabilities)
            kinds = Set(o.orgKinds)
            sectors = Set(o.sectors)
            model["v_name"] = o.name
            model["v_other_capabilities"] = o.capabilities.filter { !ToolOffering.commonCapabilities.contains($0) }.joined(separator: ", ")
            model["v_model_version_id"] = o.modelVersionId ?? ""
            model["v_model_reference"] = o.modelReference
            model["v_jurisdictions"] = o.jurisdictions.joined(separator: ", ")
            model["v_min_employees"] = o.minEmployees.map(String.init) ?? ""
            model["v_max_employees"] = o.maxEmployees.map(String.init) ?? ""
            model["v_capacity"] = String(o.capacity)
            model["v_terms"] = o.terms
        }
        model["capabilities"] = ToolOffering.commonCapabilities.enumerated().map { ["key": "cap_\($0.offset)", "label": $0.element, "checked": chosenCaps.contains($0.element)] }
        model["kinds"] = OrganisationKind.allCases.map { ["key": "kind_\($0.rawValue)", "label": $0.rawValue, "checked": kinds.contains($0.rawValue)] }
        model["sectorChoices"] = DefenderProfile.sectors.map { ["key": "sector_\($0)", "label": $0, "checked": sectors.contains($0)] }
        model["action"] = existing.map { "/tools/offerings/\($0.id)" } ?? "/tools/offerings"
        model["editing"] = existing != nil
        return try await render("tools-offering-form", existing == nil ? "List an offering" : "Edit \(existing!.name)", model, context: context, status: status)
    }

    @Sendable func newOffering(_ request: Request, context: AppContext) async throws -> Response {
        guard try web.signedIn(request, context) != nil else { return web.redirectToLogin(request) }
        return try await renderOfferingForm(context, existing: nil, form: nil, error: [:], status: .ok)
    }

    @Sendable func createOffering(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        return try await formAction({
            let created = try await store.createOffering(try Self.offering(form), by: reader)
            return .redirect(to: "/tools/offerings/\(created.id)", type: .normal)
        }, rerender: { error, status in
            try await renderOfferingForm(context, existing: nil, form: form, error: error, status: status)
        })
    }

    @Sendable func editOffering(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let o = try await store.offering(id: try context.parameters.require("id"))
        try ToolAccessStore.requireProvider(reader, of: o)
        return try await renderOfferingForm(context, existing: o, form: nil, error: [:], status: .ok)
    }

    @Sendable func updateOffering(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let o = try await store.offering(id: try context.parameters.require("id"))
        return try await formAction({
            _ = try await store.updateOffering(id: o.id, try Self.offering(form), by: reader)
            return .redirect(to: "/tools/offerings/\(o.id)", type: .normal)
        }, rerender: { error, status in
            try await renderOfferingForm(context, existing: o, form: form, error: error, status: status)
        })
    }

    @Sendable func retire(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        return try await formAction({
            do { _ = try await store.retireOffering(id: id, reason: form["reason"] ?? "", by: reader) } catch let DomainError.invalid(field, reason) {
                throw DomainError.invalid(field: "retire_" + field, reason: reason)
            }
            return .redirect(to: "/tools/offerings/\(id)", type: .normal)
        }, rerender: { error, status in
            try await renderOffering(context, reader: reader, id: id, query: nil, form: form, error: error,
                                            status: status)
        })
    }

    // MARK: the offering page

    func renderOffering(_ context: AppContext, reader: Reader, id: String, query: Query?, form: Form?, error: [String: Any],
                        notice: String? = nil, status: HTTPResponse.Status) async throws -> Response {
        let v = try await store.offeringView(id: id, for: reader)
        let o = v.offering, now = services.clock.now()
        let usage = try await store.usageSummary(offeringId: id)
        let isProvider = reader.isAdmin || reader.orgId == o.providerOrg
        let decider = isProvider || ToolAccessStore.isCoordinator(reader)
        var model = Self.values(form, ["purpose", "reason", "starts_at", "ends_at"]).merging(error) { $1 }
        let provider = try await services.directory.organisation(id: o.providerOrg)
        model.merge([
            "id": o.id, "name": o.name, "providerName": provider?.name ?? o.providerOrg, "capabilities": o.capabilities.joined(separator: ", "),
            "model": o.modelReference, "modelVersionId": o.modelVersionId as Any, "terms": o.terms,
            "orgKinds": o.orgKinds.isEmpty ? "any" : o.orgKinds.joined(separator: ", "), "sectors": o.sectors.isEmpty ? "any" : o.sectors.joined(separator: ", "),
            "jurisdictions": o.jurisdictions.isEmpty ? "any" : o.jurisdictions.joined(separator: ", "),
            "size": Self.sizeText(o), "capacity": "\(v.approved) of \(o.capacity) places taken; \(v.waiting) wait-listed",
            "retired": o.retired, "retiredAt": o.retiredAt?.utcDisplay as Any, "retireReason": o.retireReason,
            "eligible": v.eligible, "reasons": v.reasons, "ownRequest": v.ownRequest.map(Self.state) as Any,
            "canRequest": v.eligible && v.ownRequest != .requested && v.ownRequest != .waitlisted && reader.mayWrite,
            "usage": usage.lines.map { ["measure": $0.measure.replacingOccurrences(of: "_", with: " "), "total": Self.quantity($0.total), "reports": $0.reports] },
            "hasUsage": !usage.lines.isEmpty, "grantsReporting": usage.grantsReporting,
            "isProvider": isProvider && !o.retired, "decider": decider, "notice": notice as Any,
            "offerNext": decider && v.waiting > 0 && v.placesFree > 0 && !o.retired,
        ]) { $1 }
        let filter = try query.map(ToolAccessController.requestFilter) ?? ToolListFilter()
        var requestFilter = filter
        requestFilter.offeringId = id
        let requests = try await store.requests(reader: reader, filter: requestFilter)
        model["requests"] = requests.items.map(Self.requestRow)
        model["hasRequests"] = !requests.items.isEmpty
        model["requestTotal"] = requests.total
        model["states"] = AccessDecision.allCases.map { ["value": $0.rawValue, "label": Self.state($0), "selected": $0 == filter.state] }
        if let pager = WebController.pager(path: "/tools/offerings/\(id)", query: ["state": filter.state?.rawValue ?? ""], offset: filter.offset,
                                           limit: filter.limit, total: requests.total) { model["pager"] = pager }
        let grants = try await store.grants(reader: reader, filter: ToolListFilter(offeringId: id, limit: 200))
        model["grants"] = grants.items.map { Self.grantRow($0, now: now) }
        model["hasGrants"] = !grants.items.isEmpty
        return try await render("tools-offering", o.name, model, context: context, status: status)
    }

    static func sizeText(_ o: ToolOffering) -> String {
        switch (o.minEmployees, o.maxEmployees) {
        case (nil, nil): "any"
        case (let min?, nil): "at least \(min) employees"
        case (nil, let max?): "at most \(max) employees"
        case (let min?, let max?): "\(min) to \(max) employees"
        }
    }

    static func requestRow(_ r: AccessRequest) -> [String: Any] {
        ["id": r.id, "org": r.orgName, "offering": r.offeringName, "offeringId": r.offeringId, "purpose": r.purpose, "state": state(r.state),
         "reason": r.reason, "requested": r.requestedAt.utcDisplay, "decided": r.decidedAt?.utcDisplay ?? ""]
    }

    static func grantRow(_ g: ToolGrant, now: Date) -> [String: Any] {
        ["id": g.id, "org": g.orgName, "offering": g.offeringName, "starts": g.startsAt.utcDisplay, "ends": g.endsAt.utcDisplay,
         "status": status(g.status(at: now)), "ended": g.endedAt?.utcDisplay ?? ""]
    }

    @Sendable func offering(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderOffering(context, reader: reader, id: try context.parameters.require("id"), query: Query(request), form: nil, error: [:], status: .ok)
    }

    @Sendable func request(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        return try await formAction({
            let made = try await store.request(offeringId: id, purpose: form["purpose"] ?? "", by: reader)
            return .redirect(to: "/tools/requests/\(made.id)", type: .normal)
        }, rerender: { error, status in
            try await renderOffering(context, reader: reader, id: id, query: nil, form: form, error: error, status: status)
        })
    }

    @Sendable func offerNext(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        return try await formAction({
            let outcome = try await store.offerNextPlace(offeringId: id, startsAt: try ToolDates.required(form["starts_at"], field: "starts_at"),
                                                         endsAt: try ToolDates.required(form["ends_at"], field: "ends_at"), by: reader)
            return .redirect(to: "/tools/requests/\(outcome.request.id)", type: .normal)
        }, rerender: { error, status in
            try await renderOffering(context, reader: reader, id: id, query: nil, form: form, error: error, status: status)
        })
    }

    // MARK: requests

    @Sendable func requests(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let filter = try ToolAccessController.requestFilter(Query(request))
        let page = try await store.requests(reader: reader, filter: filter)
        let grants = try await store.grants(reader: reader, filter: ToolListFilter(offeringId: filter.offeringId, limit: 200))
        let now = services.clock.now()
        var model: [String: Any] = [
            "requests": page.items.map(Self.requestRow), "hasRequests": !page.items.isEmpty, "total": page.total,
            "states": AccessDecision.allCases.map { ["value": $0.rawValue, "label": Self.state($0), "selected": $0 == filter.state] },
            "grants": grants.items.map { Self.grantRow($0, now: now) }, "hasGrants": !grants.items.isEmpty,
        ]
        if let pager = WebController.pager(path: "/tools/requests", query: ["state": filter.state?.rawValue ?? "", "offering": filter.offeringId ?? ""],
                                           offset: filter.offset, limit: filter.limit, total: page.total) { model["pager"] = pager }
        return try await render("tools-requests", "Requests and grants", model, context: context)
    }

    func renderRequest(_ context: AppContext, reader: Reader, id: String, form: Form?, error: [String: Any], notice: String? = nil,
                       status: HTTPResponse.Status) async throws -> Response {
        let r = try await store.request(id: id, reader: reader)
        let o = try await store.offering(id: r.offeringId)
        let decider = reader.mayWrite && (ToolAccessStore.isCoordinator(reader) || reader.orgId == o.providerOrg)
        var model = Self.values(form, ["reason", "starts_at", "ends_at"]).merging(error) { $1 }
        let chosen = form?["decision"] ?? ""
        let grant = try await store.grants(reader: reader, filter: ToolListFilter(offeringId: r.offeringId, orgId: r.orgId, limit: 200)).items
            .first { $0.requestId == r.id }
        model.merge(Self.requestRow(r)) { $1 }
        model.merge([
            "decidedBy": r.decidedBy as Any, "notice": notice as Any,
            "canDecide": decider && (r.state == .requested || r.state == .waitlisted),
            "decisions": [("approved", "Approve (grant access)"), ("waitlisted", "Wait-list"), ("declined", "Decline")]
                .filter { r.state != .waitlisted || $0.0 != "waitlisted" }
                .map { ["value": $0.0, "label": $0.1, "checked": $0.0 == chosen] },
            "grantId": grant?.id as Any,
        ]) { $1 }
        return try await render("tools-request", "Request for \(r.offeringName)", model, context: context, status: status)
    }

    @Sendable func requestPage(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderRequest(context, reader: reader, id: try context.parameters.require("id"), form: nil, error: [:], status: .ok)
    }

    @Sendable func decide(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        return try await formAction({
            guard let decision = form["decision"].flatMap(AccessDecision.init(rawValue:)), decision != .requested else {
                throw DomainError.invalid(field: "decision", reason: "choose approve, wait-list or decline")
            }
            let outcome = try await store.decide(requestId: id, decision, reason: form["reason"] ?? "",
                                                 startsAt: try ToolDates.parse(form["starts_at"], field: "starts_at", required: false),
                                                 endsAt: try ToolDates.parse(form["ends_at"], field: "ends_at", required: false), by: reader)
            return try await renderRequest(context, reader: reader, id: id, form: nil, error: [:], notice: outcome.note.isEmpty ? "Decision recorded." : outcome.note,
                                           status: .ok)
        }, rerender: { error, status in
            try await renderRequest(context, reader: reader, id: id, form: form, error: error, status: status)
        })
    }

    // MARK: grants

    func renderGrant(_ context: AppContext, reader: Reader, id: String, form: Form?, error: [String: Any], status: HTTPResponse.Status) async throws -> Response {
        let g = try await store.grant(id: id, reader: reader)
        let reports = try await store.usage(grantId: id, reader: reader)
        let now = services.clock.now()
        let live = g.status(at: now) == .active || g.status(at: now) == .scheduled
        var model = Self.values(form, ["period_start", "period_end", "quantity", "outcome", "end_reason"]).merging(error) { $1 }
        model.merge(Self.grantRow(g, now: now)) { $1 }
        let measure = form?["measure"]
        model.merge([
            "offeringId": g.offeringId, "grantedBy": g.grantedBy, "granted": g.grantedAt.utcDisplay, "endedBy": g.endedBy as Any, "endReason": g.endReason,
            "canEnd": live && reader.mayWrite && (reader.orgId == g.orgId || reader.orgId == g.providerOrg || ToolAccessStore.isCoordinator(reader)),
            "canReport": reader.mayWrite && (reader.orgId == g.orgId || reader.orgId == g.providerOrg || reader.isAdmin),
            "measures": UsageReport.measures.map { ["value": $0, "label": $0.replacingOccurrences(of: "_", with: " "), "selected": $0 == measure] },
            "reports": reports.map { ["period": "\(ToolDates.day($0.periodStart)) to \(ToolDates.day($0.periodEnd))", "measure": $0.measure.replacingOccurrences(of: "_", with: " "),
                                      "quantity": Self.quantity($0.quantity), "outcome": $0.outcome, "by": $0.reportedBy, "at": $0.reportedAt.utcDisplay] },
            "hasReports": !reports.isEmpty,
        ]) { $1 }
        return try await render("tools-grant", "Grant of \(g.offeringName) to \(g.orgName)", model, context: context, status: status)
    }

    @Sendable func grantPage(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderGrant(context, reader: reader, id: try context.parameters.require("id"), form: nil, error: [:], status: .ok)
    }

    @Sendable func endGrant(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        return try await formAction({
            _ = try await store.endGrant(id: id, reason: form["end_reason"] ?? "", by: reader)
            return .redirect(to: "/tools/grants/\(id)", type: .normal)
        }, rerender: { error, status in
            try await renderGrant(context, reader: reader, id: id, form: form, error: error, status: status)
        })
    }

    @Sendable func usage(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        return try await formAction({
            let input = UsageInput(periodStart: try ToolDates.required(form["period_start"], field: "period_start"),
                                   periodEnd: try ToolDates.required(form["period_end"], field: "period_end"),
                                   measure: form["measure"] ?? "", quantity: try Self.double(form, "quantity"), outcome: form["outcome"] ?? "")
            _ = try await store.recordUsage(grantId: id, input, by: reader)
            return .redirect(to: "/tools/grants/\(id)", type: .normal)
        }, rerender: { error, status in
            try await renderGrant(context, reader: reader, id: id, form: form, error: error, status: status)
        })
    }

    static func double(_ form: Form, _ key: String) throws -> Double {
        guard let raw = form[key] else { throw DomainError.invalid(field: key, reason: "is required") }
        guard let n = Double(raw), n.isFinite else { throw DomainError.invalid(field: key, reason: "must be a number") }
        return n
    }
}
