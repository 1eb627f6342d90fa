// Threshold policies as versioned data. A policy document names its source, the date it takes
// effect, its criteria (compute thresholds, capability-score thresholds, developer criteria) and
// the counting rules that decide which ledger items count. No threshold lives in Swift code: the
// evaluator only ever reads these documents, so a new version changes verdicts without a rebuild.

import Foundation
import Platform

public enum Comparison: String, Sendable, Equatable {
    case greaterThan = "greater-than"
    case greaterThanOrEqual = "greater-than-or-equal"

    var symbol: String { self == .greaterThan ? ">" : "≥" }

    func holds(_ value: Double, _ threshold: Double) -> Bool {
        self == .greaterThan ? value > threshold : value >= threshold
    }
}

/// Determinative criteria decide the verdict; indicative ones are reported alongside it (the EU
/// guidelines' 10^23 general-purpose indication, SB 53's developer-revenue test) because they
/// describe the developer or a different legal status, not whether the model crosses the line.
public enum CriterionRole: String, Sendable, Equatable {
    case determinative, indicative
}

/// When a compute criterion applies to a model at all.
public enum CriterionCondition: String, Sendable, Equatable {
    case always
    case primarilyBiological = "primarily-biological"
}

public enum CriterionKind: Sendable, Equatable {
    case trainingCompute(threshold: Double, unit: String, condition: CriterionCondition)
    case capabilityScore(suite: String, threshold: Double, bound: CapabilityBound)
    case developerRevenue(thresholdUSD: Double)
}

/// Which end of a capability score's confidence interval a criterion compares with its threshold.
/// `lower` (the default): the model exceeds only when even the lower bound is past the threshold, a
/// straddling interval is indeterminate. `upper` (precautionary): the model exceeds unless even the
/// upper bound stays below the threshold. The point estimate never decides.
public enum CapabilityBound: String, Sendable, Equatable {
    case lower, upper
}

public struct PolicyCriterion: Sendable, Equatable {
    public let id: String
    public let description: String
    public let role: CriterionRole
    public let comparison: Comparison
    public let kind: CriterionKind
}

public struct CountingRule: Sendable, Equatable {
    public let category: LedgerCategory
    public let counts: Bool
    public let reason: String
}

public struct ThresholdPolicy: Sendable, Equatable {
    public let id: String
    public let version: String
    /// ISO date (YYYY-MM-DD) from which this version applies.
    public let effectiveDate: String
    public let title: String
    public let source: String
    public let notes: String?
    /// Relative accuracy the policy expects of estimates (EU guidelines: 0.3), reported in
    /// explanations; it does not widen a declared figure.
    public let errorMargin: Double?
    /// What to say when the policy has no determinative criteria yet.
    public let unsetExplanation: String?
    public let criteria: [PolicyCriterion]
    public let countingRules: [LedgerCategory: CountingRule]

    public var determinativeCriteria: [PolicyCriterion] { criteria.filter { $0.role == .determinative } }

    var hasComputeCriteria: Bool {
        criteria.contains { if case .trainingCompute = $0.kind { return true } else { return false } }
    }

    public init(json: Data) throws {
        let root = JSONCursor(try JSONValue.document(json))
        id = try root.required("id").nonEmptyString()
        version = try root.required("version").nonEmptyString()
        let dateCursor = try root.required("effective_date")
        effectiveDate = try dateCursor.string()
        guard Self.isISODate(effectiveDate) else {
            throw FrontierError.invalidValue(path: dateCursor.path, reason: "must be a date written YYYY-MM-DD")
        }
        title = try root.required("title").nonEmptyString()
        source = try root.required("source").nonEmptyString()
        notes = try root.optional("notes")?.string()
        if let margin = try root.optional("error_margin") {
            let m = try margin.nonNegativeNumber()
            guard m < 1 else { throw FrontierError.wrongUnits(path: margin.path, reason: "a relative margin between 0 and 1 (0.3 for ±30%)") }
            errorMargin = m
        } else {
            errorMargin = nil
        }
        unsetExplanation = try root.optional("unset_explanation")?.nonEmptyString()

        var parsedCriteria: [PolicyCriterion] = []
        for c in try root.required("criteria").array() {
            parsedCriteria.append(try Self.parseCriterion(c))
        }
        criteria = parsedCriteria

        var rules: [LedgerCategory: CountingRule] = [:]
        let rulesCursor = try root.optional("counting_rules")
        for r in try rulesCursor?.array() ?? [] {
            let categoryCursor = try r.required("category")
            let name = try categoryCursor.string()
            guard let category = LedgerCategory(rawValue: name) else {
                throw FrontierError.invalidValue(path: categoryCursor.path, reason: "unknown ledger category \"\(name)\"; use one of \(LedgerCategory.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard rules[category] == nil else {
                throw FrontierError.invalidValue(path: categoryCursor.path, reason: "a second rule for \"\(name)\"")
            }
            rules[category] = CountingRule(category: category, counts: try r.required("counts").bool(), reason: try r.required("reason").nonEmptyString())
        }
        // A compute policy must say something about every category: a silent default would
        // decide a borderline case without anyone having written down why.
        if parsedCriteria.contains(where: { if case .trainingCompute = $0.kind { return true } else { return false } }) {
            for category in LedgerCategory.allCases where rules[category] == nil {
                throw FrontierError.missingField(path: "\(rulesCursor?.path ?? "$.counting_rules")[category=\(category.rawValue)]")
            }
        }
        countingRules = rules
    }

    private static func parseCriterion(_ c: JSONCursor) throws -> PolicyCriterion {
        let id = try c.required("id").nonEmptyString()
        let roleCursor = try c.required("role")
        guard let role = CriterionRole(rawValue: try roleCursor.string()) else {
            throw FrontierError.invalidValue(path: roleCursor.path, reason: "use determinative or indicative")
        }
        let comparisonCursor = try c.required("comparison")
        guard let comparison = Comparison(rawValue: try comparisonCursor.string()) else {
            throw FrontierError.invalidValue(path: comparisonCursor.path, reason: "use greater-than or greater-than-or-equal")
        }
        let description = try c.required("description").nonEmptyString()
        let kindCursor = try c.required("kind")
        let kind: CriterionKind
        switch try kindCursor.string() {
        case "training-compute":
            let unitCursor = try c.required("unit")
            let unit = try unitCursor.string()
            // FLOP and "integer or floating-point operations" are the same count for our purposes;
            // anything else (petaFLOP/s-days, GPU-hours) would need a conversion we refuse to guess.
            guard unit == "FLOP" || unit == "operations" else {
                throw FrontierError.wrongUnits(path: unitCursor.path, reason: "compute thresholds are written in FLOP or operations, got \"\(unit)\"")
            }
            var condition = CriterionCondition.always
            if let w = try c.optional("applies_when") {
                guard let parsed = CriterionCondition(rawValue: try w.string()) else {
                    throw FrontierError.invalidValue(path: w.path, reason: "use always or primarily-biological")
                }
                condition = parsed
            }
            kind = .trainingCompute(threshold: try c.required("threshold").positiveNumber(), unit: unit, condition: condition)
        case "capability-score":
            var bound = CapabilityBound.lower
            if let b = try c.optional("bound") {
                guard let parsed = CapabilityBound(rawValue: try b.string()) else {
                    throw FrontierError.invalidValue(path: b.path, reason: "use lower or upper")
                }
                bound = parsed
            }
            kind = .capabilityScore(suite: try c.required("suite").nonEmptyString(), threshold: try c.required("threshold").number(), bound: bound)
        case "developer-revenue":
            kind = .developerRevenue(thresholdUSD: try c.required("threshold").positiveNumber())
        case let other:
            throw FrontierError.invalidValue(path: kindCursor.path, reason: "unknown criterion kind \"\(other)\"; use training-compute, capability-score or developer-revenue")
        }
        return PolicyCriterion(id: id, description: description, role: role, comparison: comparison, kind: kind)
    }

    static func isISODate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return false }
        return y >= 1900 && (1...12).contains(m) && (1...31).contains(d)
    }
}

/// Every version of every policy on record. Loading never discards: an old version stays
/// available for the verdicts given under it, and the newest version in effect is current.
public struct PolicySet: Sendable {
    public private(set) var documents: [ThresholdPolicy] = []

    public init(_ documents: [ThresholdPolicy] = []) throws {
        for d in documents { try load(d) }
    }

    /// The policies shipped with the module (Sources/Frontier/Policies/*.json).
    public static func builtin() throws -> PolicySet {
        let set = try PolicySet(BuiltinPolicies.documents.map { try ThresholdPolicy(json: Data($0.utf8)) })
        for id in BuiltinPolicies.ids where set.versions(of: id).isEmpty {
            throw FrontierError.unknownPolicy(id: "\(id) (Policies/\(id).json is missing from the installation)")
        }
        return set
    }

    /// Adds a version. Reloading an identical document is a no-op (returns false); a different
    /// document under an existing id and version is refused, since verdicts given under that
    /// version must stay reproducible.
    @discardableResult
    public mutating func load(_ policy: ThresholdPolicy) throws -> Bool {
        if let existing = documents.first(where: { $0.id == policy.id && $0.version == policy.version }) {
            guard existing == policy else { throw FrontierError.conflictingPolicyVersion(id: policy.id, version: policy.version) }
            return false
        }
        documents.append(policy)
        return true
    }

    @discardableResult
    public mutating func load(json: Data) throws -> ThresholdPolicy {
        let policy = try ThresholdPolicy(json: json)
        try load(policy)
        return policy
    }

    /// Policy ids in the order first loaded.
    public var ids: [String] {
        var seen = Set<String>()
        return documents.map(\.id).filter { seen.insert($0).inserted }
    }

    /// All versions of `id`, oldest first (by effective date, then by version number).
    public func versions(of id: String) -> [ThresholdPolicy] {
        documents.filter { $0.id == id }.sorted { a, b in
            if a.effectiveDate != b.effectiveDate { return a.effectiveDate < b.effectiveDate }
            return a.version.compare(b.version, options: .numeric) == .orderedAscending
        }
    }

    /// The newest version in effect on `asOf` (UTC day). When no version is in effect yet, the
    /// earliest upcoming one, so a policy that is enacted but not yet applicable is still shown
    /// (its explanation says from when it applies).
    public func current(_ id: String, asOf: Date) -> ThresholdPolicy? {
        let day = Self.day(asOf)
        let all = versions(of: id)
        return all.last { $0.effectiveDate <= day } ?? all.first
    }

    public func currentPolicies(asOf: Date) -> [ThresholdPolicy] {
        ids.compactMap { current($0, asOf: asOf) }
    }

    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
