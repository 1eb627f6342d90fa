// Defender remediation deadlines (issue 5 item 7): which directive applies to an item, and the due
// date it gives with the rule spelled out. BOD 26-04 decides through CISA's decision table (the
// existing BODDeadlinePolicy: In KEV, Publicly Exposed, Automatable, Technical Impact → next
// upgrade / 60 / 14 / 3 days, counted from the day the obligation began); BOD 22-01 takes the KEV
// catalog's `dueDate` for the CVE and sets nothing for a vulnerability outside the catalog. Pure.
import Foundation
import Platform

/// The directive whose timetable an item follows.
public enum RemediationDirective: String, Sendable, Codable, CaseIterable {
    case bod2604 = "bod-26-04"
    case bod2201 = "bod-22-01"

    public var displayName: String { self == .bod2604 ? "BOD 26-04" : "BOD 22-01" }

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// Where an item stands. Only `open` items can be overdue: a mitigation, a remediation or an
/// accepted risk (each with its reason) discharges the deadline.
public enum RemediationStatus: String, Sendable, Codable, CaseIterable {
    case open, mitigated, remediated
    case riskAccepted = "risk_accepted"

    public var displayName: String { self == .riskAccepted ? "risk accepted" : rawValue }

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The facts a deadline is decided from.
public struct RemediationFacts: Sendable, Equatable {
    public var inKEV: Bool
    /// The KEV catalog's `dueDate` (`YYYY-MM-DD`) for the item's CVE, when it is listed.
    public var kevDueDate: String?
    public var publiclyExposed: Bool
    public var automatable: SSVCAutomatable
    public var technicalImpact: SSVCTechnicalImpact
    /// When the obligation began (the vulnerability was found on the asset, or listed).
    public var startedAt: Date

    public init(inKEV: Bool, kevDueDate: String? = nil, publiclyExposed: Bool, automatable: SSVCAutomatable,
                technicalImpact: SSVCTechnicalImpact, startedAt: Date) {
        self.inKEV = inKEV; self.kevDueDate = kevDueDate; self.publiclyExposed = publiclyExposed
        self.automatable = automatable; self.technicalImpact = technicalImpact; self.startedAt = startedAt
    }
}

/// A decided deadline: the timeline's key, the moment it falls due (nil: no date) and the rule in words.
public struct RemediationDue: Sendable, Equatable {
    public let directive: RemediationDirective
    /// `FSU`, `60D`, `14D`, `3D`, `3DF` (BOD 26-04); `KEV` (BOD 22-01 with a catalog date); `none`.
    public let timeline: String
    public let dueAt: Date?
    public let rule: String
}

public enum RemediationRules {
    /// The deadline `directive` sets for these facts.
    public static func due(_ directive: RemediationDirective, _ facts: RemediationFacts,
                           policy: BODDeadlinePolicy) throws -> RemediationDue {
        switch directive {
        case .bod2604:
            let deadline: BODDeadline
            do throws(SSVCError) {
                deadline = try policy.remediationDeadline(inKEV: facts.inKEV, publiclyExposed: facts.publiclyExposed,
                                                          automatable: facts.automatable, technicalImpact: facts.technicalImpact)
            } catch {
                throw DomainError.invalid(field: "$.directive", reason: "the BOD 26-04 table could not decide: \(error)")
            }
            guard let due = deadline.dueDate(from: facts.startedAt) else {
                return RemediationDue(directive: directive, timeline: deadline.timeline.rawValue, dueAt: nil,
                                      rule: deadline.reason + "; no date: fix at the asset's next scheduled upgrade or rebuild")
            }
            return RemediationDue(directive: directive, timeline: deadline.timeline.rawValue, dueAt: due,
                                  rule: deadline.reason + "; counted from \(facts.startedAt.utcDisplay), due \(due.utcDisplay)")
        case .bod2201:
            guard facts.inKEV, let text = facts.kevDueDate else {
                return RemediationDue(directive: directive, timeline: "none", dueAt: nil,
                                      rule: "BOD 22-01 sets dates only for CVEs in CISA's KEV catalog; this one is not listed, so no date")
            }
            guard let due = kevDueDate(text) else {
                return RemediationDue(directive: directive, timeline: "none", dueAt: nil,
                                      rule: "BOD 22-01: the KEV catalog's due date \"\(text)\" is not a date, so no date")
            }
            return RemediationDue(directive: directive, timeline: "KEV", dueAt: due,
                                  rule: "BOD 22-01: the KEV catalog's due date for the CVE, \(text) (end of that day, UTC)")
        }
    }

    /// A KEV `dueDate` (`2021-11-17`) as the last second of that day in UTC.
    public static func kevDueDate(_ text: String) -> Date? {
        guard text.count == 10, let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) else { return nil }
        return day.addingTimeInterval(86_400 - 1)
    }

    /// Open and past its date: the same condition the store writes in SQL for lists and counts.
    public static func isOverdue(status: RemediationStatus, dueAt: Date?, now: Date) -> Bool {
        guard status == .open, let dueAt else { return false }
        return dueAt.microsecondsSinceEpoch < now.microsecondsSinceEpoch
    }

    /// "Overdue by 3 days 4 hours", "due in 13 days 23 hours", "no date (next upgrade)".
    public static func dueInWords(status: RemediationStatus, dueAt: Date?, timeline: String, now: Date) -> String {
        guard let dueAt else {
            return timeline == "FSU" ? "no date: at the next system upgrade" : "no date under this directive"
        }
        let seconds = dueAt.timeIntervalSince(now)
        let hours = Int(abs(seconds) / 3600)
        let span = hours >= 24 ? "\(hours / 24) days \(hours % 24) hours" : "\(hours) hours"
        if status != .open { return "was due \(dueAt.utcDisplay); \(status.displayName)" }
        return seconds < 0 ? "Overdue by \(span)" : "due in \(span)"
    }
}
