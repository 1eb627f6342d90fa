// A case's priority: CISA's SSVC outcome first (from the reviewer's decision points, with KEV
// presence forcing exploitation to active), then KEV, then EPSS, then CVSS. One integer rank for
// sorting, and the reasons in words.

/// The SSVC decision points a reviewer records on a case.
public struct SSVCPoints: Sendable, Equatable, Codable {
    public var exploitation: SSVCExploitation
    public var automatable: SSVCAutomatable
    public var technicalImpact: SSVCTechnicalImpact
    public var missionWellBeing: SSVCMissionWellBeingImpact
    public init(exploitation: SSVCExploitation, automatable: SSVCAutomatable, technicalImpact: SSVCTechnicalImpact,
                missionWellBeing: SSVCMissionWellBeingImpact) {
        self.exploitation = exploitation
        self.automatable = automatable
        self.technicalImpact = technicalImpact
        self.missionWellBeing = missionWellBeing
    }
}

public struct CasePriority: Sendable, Equatable {
    /// Larger is more urgent: SSVC tier, then KEV, then EPSS, then CVSS, in that order of weight.
    public let rank: Int64
    public let decision: SSVCDecision?
    public let inKEV: Bool
    public let epss: Double?
    public let cvss: Double?
    public let reasons: [String]

    public static func compute(points: SSVCPoints?, inKEV: Bool, epss: Double?, cvss: Double?) -> CasePriority {
        var reasons: [String] = []
        var decision: SSVCDecision?
        if var points {
            if inKEV && points.exploitation != .active {
                points.exploitation = .active
                reasons.append("exploitation taken as active: the CVE is in CISA's KEV catalog")
            }
            decision = try? SSVCCISACoordinator().decide(
                exploitation: points.exploitation, automatable: points.automatable,
                technicalImpact: points.technicalImpact, missionWellBeing: points.missionWellBeing)
        }
        if let decision {
            let path = decision.path.map { "\($0.name): \($0.valueName)" }.joined(separator: " → ")
            reasons.insert("SSVC \(decision.priority.displayName) (\(path))", at: 0)
        } else {
            reasons.insert("SSVC not decided yet (a reviewer records the decision points)", at: 0)
        }
        if inKEV { reasons.append("in CISA's Known Exploited Vulnerabilities catalog") }
        if let epss { reasons.append("EPSS \(Self.format(epss * 100))% chance of exploitation in 30 days") }
        if let cvss { reasons.append("CVSS \(Self.format(cvss))") }
        let tier: Int64 = decision.map { Int64(SSVCPriority.allCases.firstIndex(of: $0.priority)! + 1) } ?? 0
        let rank = tier * 10_000_000_000 + (inKEV ? 1_000_000_000 : 0)
            + Int64(((epss ?? 0) * 100_000).rounded()) * 1_000 + Int64(((cvss ?? 0) * 10).rounded())
        return CasePriority(rank: rank, decision: decision, inKEV: inKEV, epss: epss, cvss: cvss, reasons: reasons)
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
