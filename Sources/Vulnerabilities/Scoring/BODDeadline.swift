// Remediation deadlines of CISA Binding Operational Directive 26-04, from CISA's BOD 26-04 SSVC
// decision table (cisa:DT_BOD2604:1.0.0): In KEV, Publicly Exposed, Automatable and Technical
// Impact decide between fixing at the next system upgrade, 60 days, 14 days, 3 days, and 3 days
// with a forensic investigation. The table is data; this file types its inputs and outputs.

import Foundation

/// The BOD 26-04 remediation timelines (cisa:BOD2604 outcome group), least to most urgent.
public enum BODDeadlineTimeline: String, Sendable, Codable, CaseIterable {
    case fixOnSystemUpgrade = "FSU"
    case days60 = "60D"
    case days14 = "14D"
    case days3 = "3D"
    case days3WithForensicInvestigation = "3DF"

    /// Days allowed, or nil when the fix waits for the asset's next scheduled upgrade or rebuild.
    public var days: Int? {
        switch self {
        case .fixOnSystemUpgrade: return nil
        case .days60: return 60
        case .days14: return 14
        case .days3, .days3WithForensicInvestigation: return 3
        }
    }

    public var requiresForensicInvestigation: Bool { self == .days3WithForensicInvestigation }
}

/// A BOD 26-04 remediation deadline and why it applies.
public struct BODDeadline: Sendable, Equatable, Codable {
    public let timeline: BODDeadlineTimeline
    /// Time allowed from the start date; nil means "at the next system upgrade".
    public let dueInterval: TimeInterval?
    public let requiresForensicInvestigation: Bool
    /// Plain-language reason, e.g. "BOD 26-04: In KEV = Yes, Publicly Exposed = No, … → 14 days".
    public let reason: String
    /// In KEV, Publicly Exposed, Automatable, Technical Impact, in that order.
    public let path: [SSVCPathStep]
    /// The table that decided, e.g. `cisa:DT_BOD2604:1.0.0`.
    public let table: String

    /// The due date counted from `start` (the day the obligation began); nil for "next upgrade".
    public func dueDate(from start: Date) -> Date? {
        dueInterval.map { start.addingTimeInterval($0) }
    }
}

/// BOD 26-04's decision table (the built-in copy of cisa:DT_BOD2604:1.0.0 by default).
public struct BODDeadlinePolicy: Sendable {
    public let table: SSVCDecisionTable

    public init(table: SSVCDecisionTable = .cisaBOD2604) throws(SSVCError) {
        for (namespace, key) in [("cisa", "KEV"), ("cisa", "PE"), ("ssvc", "A"), ("ssvc", "TI")]
        where table.decisionPointID(namespace: namespace, key: key) == nil {
            throw .missingDecisionPoint(table: table.id, decisionPoint: "\(namespace):\(key)")
        }
        guard table.outcome.hasPrefix("cisa:BOD2604:") else {
            throw .missingDecisionPoint(table: table.id, decisionPoint: "cisa:BOD2604 (outcome)")
        }
        self.table = table
    }

    /// The remediation deadline for a vulnerability on one asset.
    public func remediationDeadline(
        inKEV: Bool, publiclyExposed: Bool, automatable: SSVCAutomatable, technicalImpact: SSVCTechnicalImpact
    ) throws(SSVCError) -> BODDeadline {
        let (outcome, path) = try table.decide([
            ("cisa", "KEV", inKEV ? "Y" : "N"), ("cisa", "PE", publiclyExposed ? "Y" : "N"),
            ("ssvc", "A", automatable.rawValue), ("ssvc", "TI", technicalImpact.rawValue),
        ])
        guard let timeline = BODDeadlineTimeline(rawValue: outcome.key) else {
            throw .unknownValue(decisionPoint: table.outcome, value: outcome.key)
        }
        let inputs = path.map { "\($0.name) = \($0.valueName)" }.joined(separator: ", ")
        return BODDeadline(
            timeline: timeline,
            dueInterval: timeline.days.map { TimeInterval($0) * 86_400 },
            requiresForensicInvestigation: timeline.requiresForensicInvestigation,
            reason: "BOD 26-04 (\(table.id)): \(inputs) → \(outcome.name)",
            path: path, table: table.id)
    }
}
