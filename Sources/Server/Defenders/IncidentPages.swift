// Web pages for incidents (EO 14409 §4): the list of incidents the signed-in reader may see
// (filterable, paginated, linkable), a filing form, and the incident page with its facts, suggested
// statute tags with reasons, the person's confirmation, the evidence digests, and the notice that
// none of it is a legal conclusion. Same store and access rule as the API; views are audited.
import Defenders
import Foundation
import Hummingbird
import HTTPTypes
import Platform
import ThreatSharing

struct IncidentPages {
    let services: AppServices
    var store: IncidentStore { IncidentStore(db: services.db, clock: services.clock, secrets: services.secrets) }
    var web: WebController { WebController(services: services) }

    func register(on router: Router<AppContext>) {
        router.get("/incidents", use: list)
        router.get("/incidents/new", use: newForm)
        router.post("/incidents", use: file)
        router.get("/incidents/:id", use: show)
        router.post("/incidents/:id/feeds", use: shareToFeed)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let q = Query(request)
        let filter = try IncidentListQuery.filter(q)
        let page = try await store.list(reader: reader, filter: filter)
        let rows: [[String: Any]] = page.items.map {
            ["id": $0.id, "title": $0.title, "started": $0.startedAt.utcDisplay, "filed": $0.filedAt.utcDisplay, "filedBy": $0.filedBy,
             "tlp": $0.tlp.label, "tags": $0.confirmedTags.isEmpty ? "none confirmed" : $0.confirmedTags.joined(separator: ", ")]
        }
        let query = ["q": filter.text ?? "", "tag": filter.tag?.rawValue ?? "", "tlp": filter.tlp?.name ?? ""]
        var model: [String: Any] = ["incidents": rows, "total": page.total, "hasAny": !rows.isEmpty, "q": query["q"]!,
                                    "tags": StatuteTag.allCases.map { ["value": $0.rawValue, "selected": $0 == filter.tag] }]
        if let pager = WebController.pager(path: "/incidents", query: query, offset: filter.offset, limit: filter.limit, total: page.total) { model["pager"] = pager }
        if let label = WebController.pageLabel(offset: filter.offset, count: rows.count, total: page.total) { model["pageLabel"] = label }
        return services.pages.render("incidents", model, chrome: try await web.chrome("Incidents", nav: "incidents", context: context))
    }

    static let factFields: [(key: String, label: String)] = [
        ("unauthorized_access", "A computer was accessed without authorisation, or beyond the access granted"),
        ("protected_computer", "The computer is used in interstate commerce, or belongs to a financial institution or the US government"),
        ("information_obtained", "Information was obtained from it"),
        ("damage_caused", "Integrity or availability was impaired (deletion, encryption, outage)"),
        ("extortion_threat", "Someone threatened damage or disclosure to extort something of value"),
        ("scheme_to_defraud", "There was a scheme to defraud or to obtain money or property by false pretences"),
        ("interstate_wires", "The scheme used wire communications across state or national lines"),
        ("identity_means_misused", "Another person's identity documents or means of identification were misused"),
    ]

    func renderForm(_ context: AppContext, form: Form?, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let chrome = try await web.chrome("Report an incident", nav: "incidents", context: context)
        let keys = ["title", "summary", "started_at", "detected_at", "on_behalf_of", "systems", "data", "indicators", "agent_traces",
                    "prompts", "tooling", "rate_and_scale", "loss_usd", "loss_description", "coordinator_orgs"]
        var values: [String: Any] = [:]
        for k in keys { values[k] = form?[k] ?? "" }
        let model: [String: Any] = [
            "csrf": chrome.csrf, "error": error as Any, "values": values, "notice": StatuteRules.notice,
            "facts": Self.factFields.map { ["key": $0.key, "label": $0.label, "checked": form?[$0.key] != nil] },
        ]
        return services.pages.render("incident-new", model, chrome: chrome, status: status)
    }

    @Sendable func newForm(_ request: Request, context: AppContext) async throws -> Response {
        guard try web.signedIn(request, context) != nil else { return web.redirectToLogin(request) }
        return try await renderForm(context, form: nil, error: nil, status: .ok)
    }

    static func lines(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func draft(_ form: Form) throws -> IncidentDraft {
        var d = IncidentDraft(title: form["title"] ?? "", summary: form["summary"] ?? "", startedAt: form["started_at"], detectedAt: form["detected_at"])
        d.onBehalfOf = form["on_behalf_of"]
        d.systemsAffected = lines(form["systems"])
        d.dataAffected = lines(form["data"])
        d.indicators = try lines(form["indicators"]).enumerated().map { n, line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw DomainError.invalid(field: "indicators", reason: "line \(n + 1) must be a type and a value, e.g. ipv4-addr 203.0.113.7") }
            return Indicator(type: parts[0], value: parts[1])
        }
        d.aiEvidence = AIEvidence(agentTraces: form["agent_traces"] ?? "", prompts: form["prompts"] ?? "", tooling: form["tooling"] ?? "",
                                  rateAndScale: form["rate_and_scale"] ?? "")
        if let usd = form["loss_usd"] {
            guard let amount = Int64(usd), amount >= 0 else { throw DomainError.invalid(field: "loss_usd", reason: "must be a whole number of dollars") }
            d.losses.amountUSD = amount
        }
        d.losses.description = form["loss_description"] ?? ""
        var f = IncidentFacts()
        f.unauthorizedAccess = form["unauthorized_access"] != nil
        f.protectedComputer = form["protected_computer"] != nil
        f.informationObtained = form["information_obtained"] != nil
        f.damageCaused = form["damage_caused"] != nil
        f.extortionThreat = form["extortion_threat"] != nil
        f.schemeToDefraud = form["scheme_to_defraud"] != nil
        f.interstateWires = form["interstate_wires"] != nil
        f.identityMeansMisused = form["identity_means_misused"] != nil
        d.facts = f
        d.coordinatorOrgs = (form["coordinator_orgs"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return d
    }

    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        do {
            let incident = try await store.file(try Self.draft(form), by: reader)
            return .redirect(to: "/incidents/\(incident.id)", type: .normal)
        } catch let DomainError.invalid(field, reason) {
            return try await renderForm(context, form: form, error: "\(field): \(reason)", status: .unprocessableContent)
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        return try await renderIncident(reader, id: try context.parameters.require("id"), context: context, feedError: nil, status: .ok)
    }

    /// The share form: a collection the reporter may write to, a TLP, fields flagged personal,
    /// include personal data (off), recipients for RED. A refusal comes back next to its field.
    @Sendable func shareToFeed(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await web.sessionForm(request, context)
        let id = try context.parameters.require("id")
        do {
            guard let tlp = TLP(name: form["tlp"] ?? "") else { throw DomainError.invalid(field: "tlp", reason: "choose a TLP") }
            let fields = Set((form.lists["personal_fields"] ?? []).compactMap(IncidentTextField.init(rawValue:)))
            let recipients = (form["recipients"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            _ = try await store.shareToCollection(incidentId: id, FeedShareRequest(
                collectionId: form["collection_id"] ?? "", tlp: tlp, includePersonal: form["include_personal"] == "yes",
                personalFields: fields, recipients: recipients), by: reader)
        } catch DomainError.invalid(let field, let reason) {
            return try await renderIncident(reader, id: id, context: context, feedError: (field, reason), status: .unprocessableContent)
        }
        return .redirect(to: "/incidents/\(id)", type: .normal)
    }

    func renderIncident(_ reader: Reader, id: String, context: AppContext, feedError: (field: String, message: String)?,
                        status: HTTPResponse.Status) async throws -> Response {
        let i = try await store.incident(id: id, reader: reader)
        let reporter = reader.orgId == i.label.ownerOrg && reader.mayWrite
        let collections = reporter ? try await store.writableCollections(reader: reader) : []
        let shares = try await store.feedShares(incidentId: i.id, reader: reader).map { s -> [String: Any] in
            ["collection": collections.first { $0.id == s.collectionId }?.title ?? s.collectionId, "tlp": s.tlp.label, "at": s.sharedAt.utcDisplay,
             "by": s.sharedBy, "objects": s.objectCount,
             "personal": s.includePersonal ? "personal data included" : "personal data left out" + (s.personalFields.isEmpty ? "" : " (also: " + s.personalFields.joined(separator: ", ") + ")"),
             "recipients": s.recipients.joined(separator: ", ")]
        }
        func err(_ field: String) -> Any { feedError?.field == field ? feedError?.message as Any : nil as String? as Any }
        let facts = Self.factFields.filter { key, _ in
            let json = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(i.facts))) as? [String: Bool]
            return json?[key] == true
        }.map(\.label)
        let model: [String: Any] = [
            "id": i.id, "title": i.title, "summary": i.summary, "started": i.startedAt.utcDisplay, "detected": i.detectedAt.utcDisplay,
            "filed": i.filedAt.utcDisplay, "filedBy": i.filedBy, "filedAs": i.filedAs.rawValue, "onBehalfOf": i.onBehalfOf as Any,
            "tlp": i.label.tlp.label, "sharedOrgs": i.label.orgs.joined(separator: ", "), "systems": i.systemsAffected.joined(separator: ", "),
            "data": i.dataAffected.joined(separator: ", "), "facts": facts, "hasFacts": !facts.isEmpty,
            "indicators": i.indicators.map { ["type": $0.type, "value": $0.value] }, "hasIndicators": !i.indicators.isEmpty,
            "ai": ["traces": i.aiEvidence.agentTraces, "prompts": i.aiEvidence.prompts, "tooling": i.aiEvidence.tooling, "rate": i.aiEvidence.rateAndScale],
            "lossUSD": i.losses.amountUSD.map(String.init) as Any, "lossDescription": i.losses.description,
            "notice": StatuteRules.notice,
            "suggestions": i.suggestions.map { ["provision": $0.provision, "reason": $0.reason] }, "hasSuggestions": !i.suggestions.isEmpty,
            "confirmed": i.confirmedTags.map(\.provision).joined(separator: ", "), "confirmedBy": i.confirmedBy as Any,
            "confirmedAt": i.confirmedAt?.utcDisplay as Any,
            "evidence": i.evidence.map { ["name": $0.name, "size": $0.size, "sha256": $0.sha256, "received": $0.receivedAt.utcDisplay, "by": $0.receivedBy] },
            "hasEvidence": !i.evidence.isEmpty,
            "canShareFeed": reporter, "hasCollections": !collections.isEmpty,
            "collections": collections.map { ["id": $0.id, "title": $0.title] },
            "tlps": TLP.allCases.map { ["name": $0.name, "label": $0.label, "selected": $0 == .amber] },
            "personalFields": IncidentTextField.allCases.map { ["name": $0.rawValue, "title": $0.title, "checked": IncidentTextField.flaggedByDefault.contains($0)] },
            "feedShares": shares, "hasFeedShares": !shares.isEmpty,
            "errCollection": err("collection_id"), "errTLP": err("tlp"), "errRecipients": err("recipients"),
            "csrf": context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "",
        ]
        return services.pages.render("incident", model, chrome: try await web.chrome(feedError == nil ? i.title : "Error: \(i.title)", nav: "incidents", context: context),
                                     status: status)
    }
}
