// Web pages of the scan registry: "who is scanning X" (a search form over the same query as
// GET /api/v1/scans) with the campaigns the reader may see, a form to declare a campaign (errors
// shown next to their field), a campaign's page with the overlapping campaigns the reader may see,
// and a form to end it early. Same store and access rule as the API.
import Foundation
import Hummingbird
import HTTPTypes
import Platform
import Vulnerabilities

struct ScanPages {
    let services: AppServices
    var store: VulnerabilityStore { VulnerabilityStore(db: services.db, clock: services.clock, secrets: services.secrets) }
    var web: WebController { WebController(services: services) }

    func register(on router: Router<AppContext>) {
        router.get("/vulns/scans", use: list)
        router.get("/vulns/scans/new", use: newForm)
        router.post("/vulns/scans", use: declare)
        router.get("/vulns/scans/:id", use: show)
        router.post("/vulns/scans/:id/end", use: end)
    }

    func rows(_ items: [ScanCampaign]) -> [[String: Any]] {
        let now = services.clock.now()
        return items.map { c in
            ["id": c.id, "title": c.title, "org": c.orgName, "method": c.method, "starts": c.startsAt.utcDisplay,
             "ends": c.effectiveEnd.utcDisplay, "status": c.status(at: now), "tlp": c.label.tlp.label,
             "targets": c.targets.map(\.raw).joined(separator: ", "), "overlaps": c.overlapCount, "href": "/vulns/scans/\(c.id)"]
        }
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let q = Query(request)
        let raw = ["target": try q.string("target", maxLength: 1000) ?? "", "at": try q.string("at", maxLength: 40) ?? "",
                   "org": try q.string("org", maxLength: 200) ?? ""]
        var model: [String: Any] = ["target": raw["target"]!, "at": raw["at"]!, "org": raw["org"]!, "searching": !raw["target"]!.isEmpty]
        let query: ScanQuery
        do {
            query = try await ScanController.query(q, directory: services.directory)
        } catch {
            // A malformed search is shown next to the search box, like a refused form.
            switch error {
            case let input as InputError: model["error"] = input.message
            case DomainError.invalid(_, let reason): model["error"] = reason
            default: throw error
            }
            model["campaigns"] = [] as [Any]
            return services.pages.render("vulns-scans", model, chrome: try await web.chrome("Scan registry", nav: "vulns", context: context),
                                         status: .badRequest)
        }
        let page = try await store.scans(reader: reader, query: query)
        let items = rows(page.items)
        model["campaigns"] = items
        model["total"] = page.total
        model["caption"] = raw["target"]!.isEmpty
            ? "\(page.total) campaigns you may see"
            : "\(page.total) campaigns scanning \(raw["target"]!)" + (raw["at"]!.isEmpty ? " now or later" : " at \(query.at?.utcDisplay ?? raw["at"]!)")
        if let pager = WebController.pager(path: "/vulns/scans", query: raw, offset: query.offset, limit: query.limit, total: page.total) {
            model["pager"] = pager
        }
        return services.pages.render("vulns-scans", model, chrome: try await web.chrome("Scan registry", nav: "vulns", context: context))
    }

    static let formFields = ["title", "targets", "starts_at", "ends_at", "method", "tlp", "share_orgs"]

    func renderForm(_ context: AppContext, values: [String: String], field: String?, message: String?, status: HTTPResponse.Status) async throws -> Response {
        let chrome = try await web.chrome("Declare a scanning campaign", nav: "vulns", context: context)
        var model: [String: Any] = ["csrf": chrome.csrf]
        for key in Self.formFields { model["v_\(key)"] = values[key] ?? "" }
        let tlp = values["tlp"] ?? "amber"
        model["tlps"] = TLP.allCases.map { ["value": $0.name, "label": $0.label, "selected": $0.name == tlp] }
        if let message { model["e_" + (field ?? "form")] = message }
        return services.pages.render("vulns-scan-new", model, chrome: chrome, status: status)
    }

    @Sendable func newForm(_ request: Request, context: AppContext) async throws -> Response {
        guard try web.signedIn(request, context) != nil else { return web.redirectToLogin(request) }
        return try await renderForm(context, values: [:], field: nil, message: nil, status: .ok)
    }

    /// Lines of a textarea, or comma-separated entries, without blanks.
    static func entries(_ text: String?, separator: Character) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == separator || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Sendable func declare(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let input = ScanInput(title: form["title"] ?? "", targets: Self.entries(form.values["targets"], separator: "\n"),
                              starts_at: form["starts_at"] ?? "", ends_at: form["ends_at"] ?? "", method: form["method"] ?? "",
                              tlp: form["tlp"], share_orgs: Self.entries(form.values["share_orgs"], separator: ","))
        do {
            let campaign = try await store.declareScan(try input.declaration(), by: reader)
            return .redirect(to: "/vulns/scans/\(campaign.id)", type: .normal)
        } catch DomainError.invalid(let path, let reason) {
            // `$.targets[2]` is line 3 of the targets box; `$.share_orgs[0]` the first organisation named.
            var field = path.hasPrefix("$.") ? String(path.dropFirst(2)) : path
            var message = reason
            if let open = field.firstIndex(of: "["), let index = Int(field[field.index(after: open)...].prefix { $0.isNumber }) {
                message = (field.hasPrefix("targets") ? "line \(index + 1)" : "entry \(index + 1)") + " (\(path)): " + reason
                field = String(field[..<open])
            }
            return try await renderForm(context, values: form.values, field: Self.formFields.contains(field) ? field : nil, message: message,
                                        status: .unprocessableContent)
        } catch DomainError.forbidden(let why) {
            return try await renderForm(context, values: form.values, field: nil, message: why, status: .forbidden)
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderCampaign(try context.parameters.require("id"), reader: reader, context: context, error: nil, status: .ok)
    }

    func renderCampaign(_ id: String, reader: Reader, context: AppContext, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let campaign = try await store.scan(id: id, reader: reader)
        let overlaps = try await store.scanOverlaps(id: id, reader: reader)
        let now = services.clock.now()
        let chrome = try await web.chrome(campaign.title, nav: "vulns", context: context)
        let model: [String: Any] = [
            "id": id, "csrf": chrome.csrf, "title": campaign.title, "org": campaign.orgName, "method": campaign.method,
            "starts": campaign.startsAt.utcDisplay, "ends": campaign.endsAt.utcDisplay, "status": campaign.status(at: now),
            "tlp": campaign.label.tlp.label, "createdBy": campaign.createdBy, "created": campaign.createdAt.utcDisplay,
            "ended": campaign.endedAt.map { "Ended early \($0.utcDisplay) by \(campaign.endedBy ?? "?"): \(campaign.endReason ?? "")" } as Any,
            "targets": campaign.targets.map { ["kind": $0.kind.rawValue, "value": $0.raw, "normalised": $0.key,
                                               "version": $0.version == "*" ? "any" : $0.version,
                                               "href": "/vulns/scans?target=" + ($0.raw.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")] },
            "overlaps": rows(overlaps), "hasOverlaps": !overlaps.isEmpty, "overlapCount": overlaps.count,
            "canEnd": AccessRule.canWrite(reader, campaign.label) && campaign.endedAt == nil && campaign.endsAt > now,
            "error": error as Any,
        ]
        return services.pages.render("vulns-scan", model, chrome: chrome, status: status)
    }

    @Sendable func end(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        do {
            _ = try await store.endScan(id: id, reason: form["reason"] ?? "", by: reader)
            return .redirect(to: "/vulns/scans/\(id)", type: .normal)
        } catch DomainError.invalid(_, let reason) {
            return try await renderCampaign(id, reader: reader, context: context, error: reason, status: .unprocessableContent)
        } catch DomainError.conflict(let why) {
            return try await renderCampaign(id, reader: reader, context: context, error: why, status: .conflict)
        }
    }
}
