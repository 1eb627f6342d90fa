// Evaluating a model description against threshold policies: applies each policy's counting
// rules to the ledger, compares the counted interval (or capability scores) with each criterion,
// and writes the explanation a reviewer or developer reads — criterion, figures, margin, and the
// rule that included or excluded each ledger item. The verdict is information, never a gate.

import Foundation

public enum Verdict: String, Sendable, Equatable, Codable {
    case exceeds
    case doesNotExceed = "does-not-exceed"
    /// The interval straddles the threshold, or the policy has nothing to compare with yet.
    case indeterminate
}

public struct ItemDecision: Sendable, Equatable {
    public let label: String
    public let category: LedgerCategory
    public let method: EstimationMethod
    public let interval: ComputeInterval
    public let counts: Bool
    public let reason: String
}

public struct CriterionResult: Sendable, Equatable {
    public let criterionID: String
    public let role: CriterionRole
    /// nil when the criterion does not apply to this model.
    public let outcome: Verdict?
    public let text: String
}

public struct PolicyVerdict: Sendable, Equatable {
    public let policyID: String
    public let policyVersion: String
    public let verdict: Verdict
    public let explanation: String
    /// The ledger total under this policy's counting rules (nil for capability-only policies).
    public let countedCompute: ComputeInterval?
    public let itemDecisions: [ItemDecision]
    public let criterionResults: [CriterionResult]
}

public enum PolicyEvaluator {
    /// Every current policy of `policies` on `asOf`, in load order.
    public static func assess(_ model: ModelDescription, policies: PolicySet, asOf: Date) -> [PolicyVerdict] {
        policies.currentPolicies(asOf: asOf).map { evaluate(model, against: $0, asOf: asOf) }
    }

    public static func evaluate(_ model: ModelDescription, against policy: ThresholdPolicy, asOf: Date? = nil) -> PolicyVerdict {
        var lines: [String] = []
        lines.append("\(policy.title) (\(policy.id) version \(policy.version), effective \(policy.effectiveDate)).")
        if let asOf, policy.effectiveDate > PolicySet.day(asOf) {
            lines.append("This version is enacted but applies only from \(policy.effectiveDate).")
        }

        var decisions: [ItemDecision] = []
        var counted: ComputeInterval?
        if policy.hasComputeCriteria {
            for item in model.ledger.items {
                // Parsing guarantees a rule per category for compute policies; the fallback only
                // guards documents built by other means and is stated in the explanation.
                let rule = policy.countingRules[item.category]
                decisions.append(ItemDecision(
                    label: item.label, category: item.category, method: item.estimate.method,
                    interval: item.estimate.interval, counts: rule?.counts ?? true,
                    reason: rule?.reason ?? "no counting rule for this category; counted conservatively"))
            }
            counted = model.ledger.total { policy.countingRules[$0.category]?.counts ?? true }
        }

        var results: [CriterionResult] = []
        for criterion in policy.criteria {
            results.append(evaluate(criterion, model: model, counted: counted ?? .zero))
        }

        let determinative = results.filter { $0.role == .determinative && $0.outcome != nil }
        let verdict: Verdict
        if determinative.isEmpty {
            verdict = .indeterminate
            lines.append(policy.unsetExplanation.map { $0 + "." }
                         ?? "No criterion of this policy applies to the model, so no verdict can be reached.")
        } else if determinative.contains(where: { $0.outcome == .exceeds }) {
            verdict = .exceeds
        } else if determinative.allSatisfy({ $0.outcome == .doesNotExceed }) {
            verdict = .doesNotExceed
        } else {
            verdict = .indeterminate
        }

        lines += results.filter { $0.role == .determinative }.map(\.text)
        let indicative = results.filter { $0.role == .indicative }
        if !indicative.isEmpty {
            lines.append("Indicative, not deciding the verdict: " + indicative.map(\.text).joined(separator: " "))
        }
        if !decisions.isEmpty {
            let parts = decisions.map { d in
                "\(d.counts ? "included" : "excluded") \"\(d.label)\" (\(d.category.rawValue), \(d.method.rawValue), \(FrontierNumber.scientific(d.interval.central)) FLOP): \(d.reason)"
            }
            lines.append("Ledger under this policy's counting rules: " + parts.joined(separator: "; ") + ".")
        }
        if let margin = policy.errorMargin, let counted, counted.central > 0 {
            lines.append(marginSentence(margin: margin, interval: counted))
        }
        lines.append("Verdict: \(verdict.rawValue).")
        return PolicyVerdict(
            policyID: policy.id, policyVersion: policy.version, verdict: verdict,
            explanation: lines.joined(separator: "\n"), countedCompute: counted,
            itemDecisions: decisions, criterionResults: results)
    }

    /// Exceeds when even the low end is past the threshold; does not exceed when even the high
    /// end is not; otherwise the evidence cannot tell.
    static func compare(low: Double, high: Double, threshold: Double, _ comparison: Comparison) -> Verdict {
        if comparison.holds(low, threshold) { return .exceeds }
        if !comparison.holds(high, threshold) { return .doesNotExceed }
        return .indeterminate
    }

    private static func evaluate(_ criterion: PolicyCriterion, model: ModelDescription, counted: ComputeInterval) -> CriterionResult {
        let op = criterion.comparison.symbol
        switch criterion.kind {
        case .trainingCompute(let threshold, let unit, let condition):
            if condition == .primarilyBiological && model.primarilyBiological != true {
                let why = model.primarilyBiological == nil
                    ? "the description does not say the model was trained primarily on biological sequence data (primarily_biological not given), so it is treated as not"
                    : "the model is described as not trained primarily on biological sequence data"
                return CriterionResult(criterionID: criterion.id, role: criterion.role, outcome: nil,
                                       text: "Criterion \(criterion.id) (\(criterion.description)) does not apply: \(why).")
            }
            let outcome = compare(low: counted.low, high: counted.high, threshold: threshold, criterion.comparison)
            let figures = counted.isExact
                ? "Counted compute \(FrontierNumber.scientific(counted.central)) FLOP is \(FrontierNumber.ratio(counted.central / threshold))× the threshold"
                : "Counted compute \(FrontierNumber.scientific(counted.central)) FLOP (range \(FrontierNumber.scientific(counted.low)) to \(FrontierNumber.scientific(counted.high))) is \(FrontierNumber.ratio(counted.central / threshold))× the threshold (range \(FrontierNumber.ratio(counted.low / threshold))× to \(FrontierNumber.ratio(counted.high / threshold))×)"
            let tail: String
            switch outcome {
            case .exceeds: tail = "exceeds"
            case .doesNotExceed: tail = "does not exceed"
            case .indeterminate: tail = "indeterminate, the range straddles the threshold"
            }
            return CriterionResult(
                criterionID: criterion.id, role: criterion.role, outcome: outcome,
                text: "Criterion \(criterion.id): \(criterion.description) (training compute \(op) \(FrontierNumber.scientific(threshold)) \(unit)). \(figures): \(tail).")

        case .capabilityScore(let suite, let threshold, let bound):
            guard let score = model.capabilityScores.first(where: { $0.suite == suite }) else {
                return CriterionResult(criterionID: criterion.id, role: criterion.role, outcome: .indeterminate,
                                       text: "Criterion \(criterion.id): \(criterion.description) (\(suite) score \(op) \(threshold)). No \(suite) score has been recorded for the model: indeterminate.")
            }
            let outcome: Verdict
            let word: String
            switch bound {
            case .lower:
                outcome = compare(low: score.ciLow, high: score.ciHigh, threshold: threshold, criterion.comparison)
                word = outcome == .exceeds ? "exceeds, the lower bound is past the threshold"
                    : outcome == .doesNotExceed ? "does not exceed, the whole interval is below the threshold"
                    : "indeterminate, the confidence interval straddles the threshold"
            case .upper:
                outcome = criterion.comparison.holds(score.ciHigh, threshold) ? .exceeds : .doesNotExceed
                word = outcome == .exceeds ? "exceeds under the precautionary reading, the upper bound is past the threshold"
                    : "does not exceed, even the upper bound is below the threshold"
            }
            let source = score.source.map { " Source: \($0)." } ?? ""
            return CriterionResult(
                criterionID: criterion.id, role: criterion.role, outcome: outcome,
                text: "Criterion \(criterion.id): \(criterion.description) (\(suite) score's \(bound.rawValue) bound \(op) \(threshold)). Score \(score.score) (interval \(score.ciLow) to \(score.ciHigh)), \(bound.rawValue) bound margin \(String(format: "%+.3g", (bound == .lower ? score.ciLow : score.ciHigh) - threshold)) against the threshold: \(word).\(source)")

        case .developerRevenue(let thresholdUSD):
            guard let revenue = model.developerRevenueUSD else {
                return CriterionResult(criterionID: criterion.id, role: criterion.role, outcome: .indeterminate,
                                       text: "\(criterion.id) (\(criterion.description)): developer revenue not stated.")
            }
            let met = criterion.comparison.holds(revenue, thresholdUSD)
            return CriterionResult(
                criterionID: criterion.id, role: criterion.role, outcome: met ? .exceeds : .doesNotExceed,
                text: "\(criterion.id) (\(criterion.description)): revenue $\(FrontierNumber.scientific(revenue)) is \(FrontierNumber.ratio(revenue / thresholdUSD))× the $\(FrontierNumber.scientific(thresholdUSD)) line: \(met ? "met" : "not met").")
        }
    }

    private static func marginSentence(margin: Double, interval: ComputeInterval) -> String {
        let pct = Int((margin * 100).rounded())
        if interval.isExact {
            return "The policy expects estimates accurate to ±\(pct)%; this figure carries no stated range."
        }
        let below = (1 - interval.low / interval.central) * 100
        let above = (interval.high / interval.central - 1) * 100
        let within = below <= margin * 100 + 1e-9 && above <= margin * 100 + 1e-9
        return "The policy expects estimates accurate to ±\(pct)%; this estimate's range is −\(String(format: "%.0f", below))%/+\(String(format: "%.0f", above))% of its central figure, \(within ? "within" : "wider than") that margin."
    }
}
