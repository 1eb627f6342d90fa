// Wire types of the tool access API (/api/v1/tools): inputs with the fields they accept, answers
// in snake_case. Times are RFC 3339 UTC on the way out; on the way in a day (2026-12-01) is
// accepted too and means its start, 00:00 UTC.
import Defenders
import Foundation
import Platform

enum ToolDates {
    static func parse(_ text: String?, field: String, required: Bool) throws -> Date? {
        guard let raw = text?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            if required { throw DomainError.invalid(field: field, reason: "is required (RFC 3339 time or a day such as 2026-12-01)") }
            return nil
        }
        if let date = Date.parseISO8601(raw) { return date }
        if raw.count == 10, let day = try? Date(raw + "T00:00:00Z", strategy: .iso8601) { return day }
        throw DomainError.invalid(field: field, reason: "must be an RFC 3339 time such as 2026-12-01T00:00:00Z or a day such as 2026-12-01")
    }
    static func required(_ text: String?, field: String) throws -> Date {
        guard let date = try parse(text, field: field, required: true) else { throw DomainError.invalid(field: field, reason: "is required") }
        return date
    }
    static func day(_ date: Date) -> String { String(date.ISO8601Format().prefix(10)) }
}

struct ProfileInput: APIInput {
    static let fields: Set<String> = ["sector", "employees", "jurisdiction"]
    let sector: String
    let employees: Int
    let jurisdiction: String
}

struct OfferingInput: APIInput {
    static let fields: Set<String> = ["name", "capabilities", "model_version_id", "model_reference", "org_kinds", "sectors", "jurisdictions",
                                      "min_employees", "max_employees", "capacity", "terms"]
    let name: String
    let capabilities: [String]
    let modelVersionId: String?
    let modelReference: String?
    let orgKinds: [String]?
    let sectors: [String]?
    let jurisdictions: [String]?
    let minEmployees: Int?
    let maxEmployees: Int?
    let capacity: Int
    let terms: String?
    enum CodingKeys: String, CodingKey {
        case name, capabilities, modelVersionId = "model_version_id", modelReference = "model_reference", orgKinds = "org_kinds", sectors
        case jurisdictions, minEmployees = "min_employees", maxEmployees = "max_employees", capacity, terms
    }
    var offering: ToolOffering {
        ToolOffering(name: name, capabilities: capabilities, modelVersionId: modelVersionId, modelReference: modelReference ?? "",
                     orgKinds: orgKinds ?? [], sectors: sectors ?? [], jurisdictions: jurisdictions ?? [], minEmployees: minEmployees,
                     maxEmployees: maxEmployees, capacity: capacity, terms: terms ?? "")
    }
}

struct ReasonInput: APIInput {
    static let fields: Set<String> = ["reason"]
    let reason: String?
}

struct AccessRequestInput: APIInput {
    static let fields: Set<String> = ["purpose"]
    let purpose: String
}

struct DecisionInput: APIInput {
    static let fields: Set<String> = ["decision", "reason", "starts_at", "ends_at"]
    let decision: String
    let reason: String?
    let startsAt: String?
    let endsAt: String?
    enum CodingKeys: String, CodingKey { case decision, reason, startsAt = "starts_at", endsAt = "ends_at" }
}

struct GrantSpanInput: APIInput {
    static let fields: Set<String> = ["starts_at", "ends_at"]
    let startsAt: String?
    let endsAt: String?
    enum CodingKeys: String, CodingKey { case startsAt = "starts_at", endsAt = "ends_at" }
}

struct UsageReportInput: APIInput {
    static let fields: Set<String> = ["period_start", "period_end", "measure", "quantity", "outcome"]
    let periodStart: String
    let periodEnd: String
    let measure: String
    let quantity: Double
    let outcome: String?
    enum CodingKeys: String, CodingKey { case periodStart = "period_start", periodEnd = "period_end", measure, quantity, outcome }
    func usage() throws -> UsageInput {
        UsageInput(periodStart: try ToolDates.required(periodStart, field: "period_start"),
                   periodEnd: try ToolDates.required(periodEnd, field: "period_end"),
                   measure: measure, quantity: quantity, outcome: outcome ?? "")
    }
}

/// The caller's organisation's profile; `recorded` is false (and the rest absent) before it has one.
struct ProfileDTO: Encodable, Sendable {
    let orgId: String, recorded: Bool, sector: String?, employees: Int?, jurisdiction: String?
    init(orgId: String, _ p: DefenderProfile?) {
        self.orgId = orgId; recorded = p != nil; sector = p?.sector; employees = p?.employees; jurisdiction = p?.jurisdiction
    }
    enum CodingKeys: String, CodingKey { case orgId = "org_id", recorded, sector, employees, jurisdiction }
}

struct OfferingDTO: Encodable, Sendable {
    let id: String, providerOrg: String, name: String, capabilities: [String], modelVersionId: String?, modelReference: String
    let orgKinds: [String], sectors: [String], jurisdictions: [String], minEmployees: Int?, maxEmployees: Int?
    let capacity: Int, placesTaken: Int, waiting: Int, terms: String, retired: Bool, retiredAt: Date?, retireReason: String
    let eligible: Bool, ineligibleReasons: [String], ownRequest: String?
    let usage: UsageSummaryDTO?
    init(_ v: OfferingView, usage: UsageSummary? = nil) {
        let o = v.offering
        id = o.id; providerOrg = o.providerOrg; name = o.name; capabilities = o.capabilities; modelVersionId = o.modelVersionId
        modelReference = o.modelReference; orgKinds = o.orgKinds; sectors = o.sectors; jurisdictions = o.jurisdictions
        minEmployees = o.minEmployees; maxEmployees = o.maxEmployees; capacity = o.capacity; placesTaken = v.approved; waiting = v.waiting
        terms = o.terms; retired = o.retired; retiredAt = o.retiredAt; retireReason = o.retireReason
        eligible = v.eligible; ineligibleReasons = v.reasons; ownRequest = v.ownRequest?.rawValue
        self.usage = usage.map(UsageSummaryDTO.init)
    }
    enum CodingKeys: String, CodingKey {
        case id, providerOrg = "provider_org", name, capabilities, modelVersionId = "model_version_id", modelReference = "model_reference"
        case orgKinds = "org_kinds", sectors, jurisdictions, minEmployees = "min_employees", maxEmployees = "max_employees", capacity
        case placesTaken = "places_taken", waiting, terms, retired, retiredAt = "retired_at", retireReason = "retire_reason", eligible
        case ineligibleReasons = "ineligible_reasons", ownRequest = "own_request", usage
    }
}

struct UsageSummaryDTO: Encodable, Sendable {
    struct Line: Encodable, Sendable { let measure: String; let total: Double; let reports: Int }
    let measures: [Line]
    let grantsReporting: Int
    init(_ s: UsageSummary) {
        measures = s.lines.map { Line(measure: $0.measure, total: $0.total, reports: $0.reports) }
        grantsReporting = s.grantsReporting
    }
    enum CodingKeys: String, CodingKey { case measures, grantsReporting = "grants_reporting" }
}

struct AccessRequestDTO: Encodable, Sendable {
    let id: String, offeringId: String, offeringName: String, orgId: String, orgName: String, purpose: String, state: String, reason: String
    let requestedAt: Date, requestedBy: String, decidedAt: Date?, decidedBy: String?
    init(_ r: AccessRequest) {
        id = r.id; offeringId = r.offeringId; offeringName = r.offeringName; orgId = r.orgId; orgName = r.orgName; purpose = r.purpose
        state = r.state.rawValue; reason = r.reason; requestedAt = r.requestedAt; requestedBy = r.requestedBy; decidedAt = r.decidedAt; decidedBy = r.decidedBy
    }
    enum CodingKeys: String, CodingKey {
        case id, offeringId = "offering_id", offeringName = "offering_name", orgId = "org_id", orgName = "org_name", purpose, state, reason
        case requestedAt = "requested_at", requestedBy = "requested_by", decidedAt = "decided_at", decidedBy = "decided_by"
    }
}

struct GrantDTO: Encodable, Sendable {
    let id: String, requestId: String, offeringId: String, offeringName: String, providerOrg: String, orgId: String, orgName: String
    let startsAt: Date, endsAt: Date, grantedAt: Date, grantedBy: String, endedAt: Date?, endedBy: String?, endReason: String, status: String
    let usage: [UsageReportDTO]?
    init(_ g: ToolGrant, at now: Date, usage: [UsageReport]? = nil) {
        id = g.id; requestId = g.requestId; offeringId = g.offeringId; offeringName = g.offeringName; providerOrg = g.providerOrg
        orgId = g.orgId; orgName = g.orgName; startsAt = g.startsAt; endsAt = g.endsAt; grantedAt = g.grantedAt; grantedBy = g.grantedBy
        endedAt = g.endedAt; endedBy = g.endedBy; endReason = g.endReason; status = g.status(at: now).rawValue
        self.usage = usage?.map(UsageReportDTO.init)
    }
    enum CodingKeys: String, CodingKey {
        case id, requestId = "request_id", offeringId = "offering_id", offeringName = "offering_name", providerOrg = "provider_org"
        case orgId = "org_id", orgName = "org_name", startsAt = "starts_at", endsAt = "ends_at", grantedAt = "granted_at", grantedBy = "granted_by"
        case endedAt = "ended_at", endedBy = "ended_by", endReason = "end_reason", status, usage
    }
}

struct UsageReportDTO: Encodable, Sendable {
    let id: String, grantId: String, periodStart: Date, periodEnd: Date, measure: String, quantity: Double, outcome: String
    let reportedAt: Date, reportedBy: String
    init(_ u: UsageReport) {
        id = u.id; grantId = u.grantId; periodStart = u.periodStart; periodEnd = u.periodEnd; measure = u.measure; quantity = u.quantity
        outcome = u.outcome; reportedAt = u.reportedAt; reportedBy = u.reportedBy
    }
    enum CodingKeys: String, CodingKey {
        case id, grantId = "grant_id", periodStart = "period_start", periodEnd = "period_end", measure, quantity, outcome
        case reportedAt = "reported_at", reportedBy = "reported_by"
    }
}

struct DecisionDTO: Encodable, Sendable {
    let request: AccessRequestDTO
    let grant: GrantDTO?
    let note: String
}

struct CoverageDTO: Encodable, Sendable {
    let sector: String, jurisdiction: String, defenders: Int, covered: Int, requests: Int, approved: Int
}
