// Pages for defender organisations: the home (`/defender`: deadlines, feeds, tool access) and the
// remediation list (`/defender/remediation`: filter by status, overdue and due date, sorted by
// due date, paginated and linkable; overdue said in words and marked by more than colour) with
// forms to add an item, add every KEV entry of a product, change an item's status with a reason,
// and choose the organisation's directive. Everything reads through the same store as the API.
import Foundation
import Hummingbird
import HTTPTypes
import Platform
import Vulnerabilities

struct DefenderPages {
    let services: AppServices
    var store: VulnerabilityStore { VulnerabilityStore(db: services.db, clock: services.clock, secrets: services.secrets) }
    var web: WebController { WebController(services: services) }
    static let pageSize = 25

    func register(on router: Router<AppContext>) {
        router.get("/defender", use: home)
        router.get("/defender/remediation", use: list)
        router.post("/defender/remediation", use: add)
        router.post("/defender/remediation/kev", use: addFromKEV)
        router.post("/defender/remediation/directive", use: setDirective)
        router.post("/defender/remediation/:id/status", use: setStatus)
    }

    /// Defender and government organisations, for a coordinator's organisation picker.
    func defenderOrgs(selected: String?) async throws -> [[String: Any]] {
        try await services.directory.organisations(limit: 1000).filter { [.defender, .government].contains($0.kind) }
            .map { ["id": $0.id, "name": $0.name, "selected": $0.id == selected] }
    }

    func itemRow(_ i: RemediationItem, now: Date) -> [String: Any] {
        [
            "id": i.id, "vulnerability": i.cve ?? "case", "caseId": i.caseId ?? "", "hasCase": i.caseId != nil, "asset": i.asset,
            "org": i.orgName, "exposed": i.publiclyExposed ? "publicly exposed" : "not publicly exposed",
            "automatable": i.automatable == .yes ? "yes" : "no", "impact": i.technicalImpact == .total ? "total" : "partial",
            "kev": i.inKEV ? "in KEV" : "not in KEV", "directive": i.directive.displayName,
            "directiveSource": i.directiveChoice == nil ? "organisation's choice" : "chosen for this item",
            "due": i.dueAt?.utcDisplay ?? "no date", "rule": i.dueRule,
            "words": RemediationRules.dueInWords(status: i.status, dueAt: i.dueAt, timeline: i.timeline, now: now),
            "overdue": i.overdue, "status": i.status.displayName, "statusReason": i.statusReason,
            "statuses": RemediationStatus.allCases.filter { $0 != i.status }.map { ["value": $0.rawValue, "label": $0.displayName] },
        ]
    }

    @Sendable func home(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let org = try Query(request).string("org", maxLength: 100)
        let coordinator = VulnerabilityStore.isRemediationCoordinator(reader)
        let home = try await DefenderHomeBuilder(services: services).build(orgId: org, viewer: reader)
        let now = services.clock.now()
        let next = home.remediation.nextItems
        var model: [String: Any] = [
            "org": home.org.name, "orgId": home.org.id, "kind": home.org.kind, "coordinator": coordinator,
            "directive": RemediationDirective(rawValue: home.remediation.directive)?.displayName ?? home.remediation.directive,
            "open": home.remediation.open, "overdue": home.remediation.overdue, "hasOverdue": home.remediation.overdue > 0,
            "dueSoon": home.remediation.dueSoon, "total": home.remediation.total,
            "next": next.map { itemRow($0, now: now) }, "hasNext": !next.isEmpty,
            "listHref": "/defender/remediation" + (home.org.id == reader.orgId ? "" : "?org=\(home.org.id)"),
            "overdueHref": "/defender/remediation?overdue=true" + (home.org.id == reader.orgId ? "" : "&org=\(home.org.id)"),
            "feeds": home.feeds.map { ["title": $0.title, "root": $0.apiRoot, "level": $0.readLevel, "objects": $0.objects,
                                       "href": "/intel/collections/\($0.id)"] },
            "hasFeeds": !home.feeds.isEmpty, "advisoriesTotal": home.advisories.total,
            "advisories": home.advisories.recent.map { ["title": $0.title, "tracking": $0.trackingId, "version": $0.version,
                                                        "published": $0.publishedAt.utcDisplay, "href": "/vulns/cases/\($0.caseId)",
                                                        "csaf": "/api/v1/vulns/advisories/\($0.id)/csaf", "osv": "/api/v1/vulns/advisories/\($0.id)/osv"] },
            "hasAdvisories": !home.advisories.recent.isEmpty,
            "profile": home.toolAccess.profile ?? "", "hasProfile": home.toolAccess.profile != nil,
            "eligible": home.toolAccess.eligibleOfferings,
            "requests": home.toolAccess.requests.map { ["offering": $0.offering, "capability": $0.capability, "state": $0.state] },
            "hasRequests": !home.toolAccess.requests.isEmpty,
            "grants": home.toolAccess.grants.map { ["offering": $0.offering, "starts": $0.startsAt.utcDisplay, "ends": $0.endsAt.utcDisplay,
                                                    "status": $0.status, "href": "/tools/grants/\($0.id)"] },
            "hasGrants": !home.toolAccess.grants.isEmpty,
            "generated": home.generatedAt.utcDisplay,
        ]
        if coordinator { model["orgs"] = try await defenderOrgs(selected: home.org.id) }
        return services.pages.render("defender-home", model, chrome: try await web.chrome("Defender home: \(home.org.name)", nav: "defender", context: context))
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderList(request, context, reader: reader, error: nil, status: .ok)
    }

    func renderList(_ request: Request, _ context: AppContext, reader: Reader, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let q = Query(request)
        let filter = try RemediationController.filter(q, reader: reader, store: store)
        let page = try q.int("page", range: 1...100_000) ?? 1
        let result = try await store.remediationItems(reader: reader, filter: filter, limit: Self.pageSize, offset: (page - 1) * Self.pageSize)
        let now = services.clock.now()
        let coordinator = VulnerabilityStore.isRemediationCoordinator(reader)
        var query: [String] = []
        if let org = filter.orgId, org != reader.orgId { query.append("org=\(org)") }
        if let s = filter.status { query.append("status=\(s.rawValue)") }
        if let o = filter.overdue { query.append("overdue=\(o)") }
        if let d = filter.dueBefore { query.append("due_before=\(String(d.iso8601.prefix(10)))") }
        let base = "/defender/remediation?" + query.map { $0 + "&" }.joined()
        let pages = max(1, (result.total + Self.pageSize - 1) / Self.pageSize)
        var model: [String: Any] = [
            "items": result.items.map { itemRow($0, now: now) }, "hasItems": !result.items.isEmpty, "total": result.total,
            "pageLabel": "page \(page) of \(pages)", "coordinator": coordinator, "showOrg": coordinator && filter.orgId == nil,
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
            "statuses": RemediationStatus.allCases.map { ["value": $0.rawValue, "label": $0.displayName, "selected": $0 == filter.status] },
            "overdueTrue": filter.overdue == true, "overdueFalse": filter.overdue == false,
            "dueBefore": filter.dueBefore.map { String($0.iso8601.prefix(10)) } ?? "",
            "directives": RemediationDirective.allCases.map { ["value": $0.rawValue, "label": $0.displayName] },
            "orgFilter": filter.orgId ?? "", "error": error ?? "",
            "back": request.uri.description,
        ]
        let orgForDirective = filter.orgId ?? reader.orgId
        if let directive = try? await store.remediationDirective(orgId: orgForDirective, reader: reader) {
            model["orgDirective"] = directive.displayName
        }
        if coordinator { model["orgs"] = try await defenderOrgs(selected: filter.orgId) }
        if page > 1 || page < pages {
            var pager: [String: Any] = [:]
            if page > 1 { pager["previous"] = base + "page=\(page - 1)" }
            if page < pages { pager["next"] = base + "page=\(page + 1)" }
            model["pager"] = pager
        }
        return services.pages.render("defender-remediation", model,
                                     chrome: try await web.chrome("Remediation deadlines", nav: "defender", context: context), status: status)
    }

    /// Runs a form action; a refused input re-renders the list with the reason and nothing changed.
    func act(_ request: Request, _ context: AppContext, _ body: (Reader, Form) async throws -> Void) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        do {
            try await body(reader, form)
        } catch let DomainError.invalid(field, reason) {
            return try await renderList(request, context, reader: reader, error: "Nothing was changed. \(field): \(reason)", status: .unprocessableContent)
        } catch let DomainError.conflict(why) {
            return try await renderList(request, context, reader: reader, error: "Nothing was changed. \(why)", status: .conflict)
        }
        let back = form["back"].flatMap { $0.hasPrefix("/defender/remediation") ? $0 : nil } ?? "/defender/remediation"
        return .redirect(to: back, type: .normal)
    }

    static func template(_ form: Form) throws -> RemediationInput {
        RemediationInput(
            orgId: form["org"].flatMap { $0.isEmpty ? nil : $0 }, cve: form["cve"], caseId: form["case_id"], asset: form["asset"] ?? "",
            publiclyExposed: form["publicly_exposed"] == "yes",
            automatable: try RemediationWire.automatable(form["automatable"], field: "automatable"),
            technicalImpact: try RemediationWire.impact(form["technical_impact"], field: "technical_impact"),
            directive: try RemediationWire.directive(form["directive"], field: "directive"),
            startedAt: try RemediationWire.time(form["started_at"], field: "started_at"), notes: form["notes"] ?? "")
    }

    @Sendable func add(_ request: Request, context: AppContext) async throws -> Response {
        try await act(request, context) { reader, form in _ = try await store.addRemediationItem(try Self.template(form), by: reader) }
    }

    @Sendable func addFromKEV(_ request: Request, context: AppContext) async throws -> Response {
        try await act(request, context) { reader, form in
            _ = try await store.addRemediationItemsFromKEV(vendor: form["vendor"], product: form["product"] ?? "",
                                                           template: try Self.template(form), by: reader)
        }
    }

    @Sendable func setStatus(_ request: Request, context: AppContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await act(request, context) { reader, form in
            _ = try await store.setRemediationStatus(id: id, status: form["status"] ?? "", reason: form["reason"] ?? "", by: reader)
        }
    }

    @Sendable func setDirective(_ request: Request, context: AppContext) async throws -> Response {
        try await act(request, context) { reader, form in
            _ = try await store.setRemediationDirective(orgId: form["org"].flatMap { $0.isEmpty ? nil : $0 }, directive: form["directive"] ?? "",
                                                        reason: form["reason"] ?? "", by: reader)
        }
    }
}
