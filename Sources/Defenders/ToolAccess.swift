// The defensive tool access programme (EO 14409 §2): the records and rules, without storage.
// Providers list AI defensive offerings with eligibility rules and a capacity; defender
// organisations keep a profile (sector, size, jurisdiction) and request access with a purpose;
// providers or programme coordinators approve (a dated grant, wait-listed automatically when the
// offering is full), wait-list or decline with a reason; grants end at their end date or early;
// usage is reported per grant. Eligibility is a pure function that returns every reason an
// organisation is not eligible, so a rural hospital sees why each closed offering is closed to it.
// Offerings are programme listings, not labelled records: every signed-in user may read them.
// Requests, grants and usage are visible to the requesting organisation, the provider and
// coordinators only (`ToolAccessStore`).
import Foundation
import Platform

public struct DefenderProfile: Sendable, Equatable {
    public var orgId: String
    public var sector: String
    public var employees: Int
    /// A state or territory code (`MT`), a locality (`MT/Glacier County`), or `federal`.
    public var jurisdiction: String
    public init(orgId: String, sector: String, employees: Int, jurisdiction: String) {
        self.orgId = orgId; self.sector = sector; self.employees = employees; self.jurisdiction = jurisdiction
    }
    public static let sectors = ["healthcare", "finance", "energy", "water", "government", "education", "communications", "transportation", "other"]
}

public struct ToolOffering: Sendable, Equatable {
    public var id: String
    public var providerOrg: String
    public var name: String
    /// What it does: vulnerability scanning, code review, log triage, phishing analysis…
    public var capabilities: [String]
    /// A frontier model version (`frontier_versions.id`) that backs it, checked on every write to
    /// exist and be visible to the provider.
    public var modelVersionId: String?
    /// The backing model as text: the provider's own words, or the linked version's name.
    public var modelReference: String
    /// Empty lists mean "any".
    public var orgKinds: [String]
    public var sectors: [String]
    public var jurisdictions: [String]
    public var minEmployees: Int?
    public var maxEmployees: Int?
    /// How many grants may run at once.
    public var capacity: Int
    public var terms: String
    public var retiredAt: Date?
    public var retireReason: String

    public init(id: String = "", providerOrg: String = "", name: String, capabilities: [String], modelVersionId: String? = nil,
                modelReference: String = "", orgKinds: [String] = [], sectors: [String] = [], jurisdictions: [String] = [],
                minEmployees: Int? = nil, maxEmployees: Int? = nil, capacity: Int, terms: String = "",
                retiredAt: Date? = nil, retireReason: String = "") {
        self.id = id; self.providerOrg = providerOrg; self.name = name; self.capabilities = capabilities
        self.modelVersionId = modelVersionId; self.modelReference = modelReference
        self.orgKinds = orgKinds; self.sectors = sectors; self.jurisdictions = jurisdictions
        self.minEmployees = minEmployees; self.maxEmployees = maxEmployees
        self.capacity = capacity; self.terms = terms; self.retiredAt = retiredAt; self.retireReason = retireReason
    }

    public var retired: Bool { retiredAt != nil }
    /// Suggestions for forms; providers may name others.
    public static let commonCapabilities = ["vulnerability scanning", "code review", "log triage", "phishing analysis", "malware analysis",
                                            "incident response", "configuration review"]
}

public enum Eligibility {
    /// Every reason `profile` may not have `offering`; empty means eligible.
    public static func reasons(_ offering: ToolOffering, profile: DefenderProfile?, orgKind: OrganisationKind) -> [String] {
        guard let profile else { return ["your organisation has no defender profile yet (sector, size, jurisdiction)"] }
        var out: [String] = []
        if offering.retired { out.append("the offering was retired") }
        if !offering.orgKinds.isEmpty && !offering.orgKinds.contains(orgKind.rawValue) {
            out.append("open to \(offering.orgKinds.joined(separator: ", ")) organisations; yours is \(orgKind.rawValue)")
        }
        if !offering.sectors.isEmpty && !offering.sectors.contains(profile.sector) {
            out.append("open to the \(offering.sectors.joined(separator: ", ")) sector(s); yours is \(profile.sector)")
        }
        if let min = offering.minEmployees, profile.employees < min {
            out.append("open to organisations of at least \(min) employees; yours has \(profile.employees)")
        }
        if let max = offering.maxEmployees, profile.employees > max {
            out.append("open to organisations of at most \(max) employees; yours has \(profile.employees)")
        }
        if !offering.jurisdictions.isEmpty && !offering.jurisdictions.contains(where: { Self.within(profile.jurisdiction, $0) }) {
            out.append("available in \(offering.jurisdictions.joined(separator: ", ")); you are in \(profile.jurisdiction)")
        }
        return out
    }

    /// A locality (`MT/Glacier County`) lies within its state (`MT`).
    static func within(_ place: String, _ area: String) -> Bool {
        place.caseInsensitiveCompare(area) == .orderedSame || place.lowercased().hasPrefix(area.lowercased() + "/")
    }
}

public enum AccessDecision: String, Sendable, CaseIterable {
    case requested, approved, waitlisted, declined
}

public struct AccessRequest: Sendable, Equatable {
    public var id: String
    public var offeringId: String
    public var offeringName: String
    public var orgId: String
    public var orgName: String
    public var purpose: String
    public var state: AccessDecision
    public var reason: String
    public var requestedAt: Date
    public var requestedBy: String
    public var decidedAt: Date?
    public var decidedBy: String?
}

public enum GrantStatus: String, Sendable {
    /// Before its start date.
    case scheduled
    case active
    /// Past its end date.
    case expired
    /// Ended early by either side.
    case ended
}

public struct ToolGrant: Sendable, Equatable {
    public var id: String
    public var requestId: String
    public var offeringId: String
    public var offeringName: String
    public var providerOrg: String
    public var orgId: String
    public var orgName: String
    public var startsAt: Date
    public var endsAt: Date
    public var grantedAt: Date
    public var grantedBy: String
    public var endedAt: Date?
    public var endedBy: String?
    public var endReason: String

    public func status(at now: Date) -> GrantStatus {
        if endedAt != nil { return .ended }
        if now >= endsAt { return .expired }
        return now < startsAt ? .scheduled : .active
    }
    /// Whether it takes one of the offering's places: until its end date, unless ended early.
    public func holdsPlace(at now: Date) -> Bool { endedAt == nil && now < endsAt }
}

public struct UsageReport: Sendable, Equatable {
    public var id: String
    public var grantId: String
    public var periodStart: Date
    public var periodEnd: Date
    public var measure: String
    public var quantity: Double
    public var outcome: String
    public var reportedAt: Date
    public var reportedBy: String
    public static let measures = ["scans_run", "findings", "hours", "alerts_triaged", "messages_analysed", "repositories_reviewed", "other"]
}

public struct UsageInput: Sendable {
    public var periodStart: Date
    public var periodEnd: Date
    public var measure: String
    public var quantity: Double
    public var outcome: String
    public init(periodStart: Date, periodEnd: Date, measure: String, quantity: Double, outcome: String = "") {
        self.periodStart = periodStart; self.periodEnd = periodEnd; self.measure = measure; self.quantity = quantity; self.outcome = outcome
    }
}

/// Usage of one offering across its grants, by measure; no organisation is named, so every reader
/// of the offering may see it.
public struct UsageSummary: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var measure: String
        public var total: Double
        public var reports: Int
    }
    public var lines: [Line]
    public var grantsReporting: Int
}

public struct OfferingView: Sendable, Equatable {
    public var offering: ToolOffering
    public var reasons: [String]
    /// Grants holding a place now.
    public var approved: Int
    public var waiting: Int
    public var ownRequest: AccessDecision?
    public var eligible: Bool { reasons.isEmpty }
    public var placesFree: Int { max(0, offering.capacity - approved) }
}

/// What a decision came to: approval of a full offering puts the request on the wait-list instead.
public struct DecisionOutcome: Sendable, Equatable {
    public var request: AccessRequest
    public var grant: ToolGrant?
    public var note: String
}

public struct CoverageRow: Sendable, Equatable {
    public var sector: String
    public var jurisdiction: String
    public var defenders: Int
    /// Defenders eligible for at least one offering.
    public var covered: Int
    public var requests: Int
    public var approved: Int
}

public struct ToolListFilter: Sendable {
    public var offeringId: String?
    public var orgId: String?
    public var state: AccessDecision?
    public var limit = 50
    public var offset = 0
    public init(offeringId: String? = nil, orgId: String? = nil, state: AccessDecision? = nil, limit: Int = 50, offset: Int = 0) {
        self.offeringId = offeringId; self.orgId = orgId; self.state = state; self.limit = limit; self.offset = offset
    }
}
