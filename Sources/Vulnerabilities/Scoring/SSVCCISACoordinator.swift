// CISA's SSVC decision tree ("CISA Coordinator" v2.0.3): Exploitation, Automatable, Technical Impact
// and Mission & Well-being Impact decide Track, Track*, Attend or Act. The tree itself is data (an
// SSVCDecisionTable); this file gives it typed inputs and returns the outcome with its path.

/// SSVC Exploitation (ssvc:E): the present state of exploitation.
public enum SSVCExploitation: String, Sendable, Codable, CaseIterable {
    case none = "N", publicPoC = "P", active = "A"
}

/// SSVC Automatable (ssvc:A): can an attacker reliably automate exploitation (kill-chain steps 1-4)?
public enum SSVCAutomatable: String, Sendable, Codable, CaseIterable {
    case no = "N", yes = "Y"
}

/// SSVC Technical Impact (ssvc:TI): partial or total control / disclosure.
public enum SSVCTechnicalImpact: String, Sendable, Codable, CaseIterable {
    case partial = "P", total = "T"
}

/// SSVC Mission and Well-Being Impact (ssvc:MWI).
public enum SSVCMissionWellBeingImpact: String, Sendable, Codable, CaseIterable {
    case low = "L", medium = "M", high = "H"
}

/// CISA's four priority levels (cisa:CISA outcome group), least to most urgent.
public enum SSVCPriority: String, Sendable, Codable, CaseIterable, Comparable {
    case track = "T", trackStar = "T*", attend = "AT", act = "AC"

    /// The name CISA uses: Track, Track*, Attend, Act.
    public var displayName: String {
        switch self {
        case .track: return "Track"
        case .trackStar: return "Track*"
        case .attend: return "Attend"
        case .act: return "Act"
        }
    }

    public static func < (lhs: SSVCPriority, rhs: SSVCPriority) -> Bool {
        let order = SSVCPriority.allCases
        return (order.firstIndex(of: lhs) ?? 0) < (order.firstIndex(of: rhs) ?? 0)
    }
}

/// The outcome of CISA's tree, with the path that led to it.
public struct SSVCDecision: Sendable, Equatable, Codable {
    public let priority: SSVCPriority
    /// Exploitation, Automatable, Technical Impact, Mission and Well-Being Impact, in tree order.
    public let path: [SSVCPathStep]
    /// The table that decided, e.g. `cisa:DT_CO:2.0.3`.
    public let table: String
}

/// CISA's SSVC tree over a decision table (the built-in copy of CISA Coordinator 2.0.3 by default).
public struct SSVCCISACoordinator: Sendable {
    public let table: SSVCDecisionTable

    /// Checks that `table` has the four CISA decision points and the CISA outcome group.
    public init(table: SSVCDecisionTable = .cisaCoordinator) throws(SSVCError) {
        for (namespace, key) in [("ssvc", "E"), ("ssvc", "A"), ("ssvc", "TI"), ("ssvc", "MWI")]
        where table.decisionPointID(namespace: namespace, key: key) == nil {
            throw .missingDecisionPoint(table: table.id, decisionPoint: "\(namespace):\(key)")
        }
        guard table.outcome.hasPrefix("cisa:CISA:") else {
            throw .missingDecisionPoint(table: table.id, decisionPoint: "cisa:CISA (outcome)")
        }
        self.table = table
    }

    public func decide(
        exploitation: SSVCExploitation, automatable: SSVCAutomatable,
        technicalImpact: SSVCTechnicalImpact, missionWellBeing: SSVCMissionWellBeingImpact
    ) throws(SSVCError) -> SSVCDecision {
        let (outcome, path) = try table.decide([
            ("ssvc", "E", exploitation.rawValue), ("ssvc", "A", automatable.rawValue),
            ("ssvc", "TI", technicalImpact.rawValue), ("ssvc", "MWI", missionWellBeing.rawValue),
        ])
        guard let priority = SSVCPriority(rawValue: outcome.key) else {
            throw .unknownValue(decisionPoint: table.outcome, value: outcome.key)
        }
        return SSVCDecision(priority: priority, path: path, table: table.id)
    }
}
