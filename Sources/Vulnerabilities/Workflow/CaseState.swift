// The states of a vulnerability case and the moves between them. Pure rules: the store enforces
// them inside the transaction that records the move.

/// Where a case is in its life: reported, looked at, judged, disclosed to vendors, fixed, published.
public enum CaseState: String, Sendable, CaseIterable, Codable {
    case new, triage, validated, invalid, duplicate, disclosed, fixed, published

    /// The states a case may move to from this one. `invalid` and `duplicate` may be reopened
    /// into triage (a reviewer was wrong); `published` is final.
    public var next: [CaseState] {
        switch self {
        case .new: [.triage, .invalid, .duplicate]
        case .triage: [.validated, .invalid, .duplicate]
        case .validated: [.disclosed, .fixed, .invalid]
        case .disclosed: [.fixed, .published]
        case .fixed: [.published]
        case .invalid, .duplicate: [.triage]
        case .published: []
        }
    }

    public func allows(_ target: CaseState) -> Bool { next.contains(target) }

    /// Whether moving into `target` needs a reproducer among the case's evidence.
    public static func needsReproducer(_ target: CaseState) -> Bool { target == .validated }

    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}
