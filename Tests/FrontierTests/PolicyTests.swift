// Threshold policies as versioned data: the shipped set, verdicts and their explanations, counting
// rules per policy, run-time loading of new versions, and the empty capability policy.

import Foundation
import Testing
@testable import Frontier

private let mid2026 = Date(timeIntervalSince1970: 1_781_000_000)  // 2026-06-09 UTC

private func declared(_ flop: Double, low: Double? = nil, high: Double? = nil, bio: Bool? = nil) throws -> ModelDescription {
    let e = try ComputeEstimator.declared(flop: flop, low: low, high: high)
    return ModelDescription(name: "m", ledger: ComputeLedger(items: [LedgerItem(label: "total", category: .preTraining, estimate: e)]), primarilyBiological: bio)
}

private func verdicts(_ model: ModelDescription, _ set: PolicySet? = nil) throws -> [String: PolicyVerdict] {
    let policies = try set ?? PolicySet.builtin()
    return Dictionary(uniqueKeysWithValues: PolicyEvaluator.assess(model, policies: policies, asOf: mid2026).map { ($0.policyID, $0) })
}

/// A copy of a shipped policy document with some top-level members replaced.
private func variant(of id: String, _ changes: [String: Any]) throws -> Data {
    let source = try #require(BuiltinPolicies.documents.first { $0.contains("\"id\": \"\(id)\"") })
    var object = try #require(try JSONSerialization.jsonObject(with: Data(source.utf8)) as? [String: Any])
    for (k, v) in changes { object[k] = v }
    return try JSONSerialization.data(withJSONObject: object)
}

@Test func shippedPoliciesCoverTheFiveRegimes() throws {
    let set = try PolicySet.builtin()
    #expect(set.ids == ["eo-14110", "eu-ai-act", "ca-sb53", "ny-raise", "eo-14409"])
    for p in set.documents {
        #expect(!p.source.isEmpty && !p.effectiveDate.isEmpty)
    }
}

@Test func verdictsFollowThresholdsInTheDocuments() throws {
    let v = try verdicts(try declared(3e25))
    #expect(v["eu-ai-act"]?.verdict == .exceeds)
    #expect(v["eo-14110"]?.verdict == .doesNotExceed)
    #expect(v["ca-sb53"]?.verdict == .doesNotExceed)
    #expect(v["ny-raise"]?.verdict == .doesNotExceed)
    let above = try verdicts(try declared(2e26))
    #expect(above["ca-sb53"]?.verdict == .exceeds)
    #expect(above["eo-14110"]?.verdict == .exceeds)
    // "Greater than" means a figure exactly at the line does not exceed it.
    #expect(try verdicts(try declared(1e26))["ca-sb53"]?.verdict == .doesNotExceed)
}

@Test func explanationGivesCriterionFiguresAndMargin() throws {
    let text = try #require(try verdicts(try declared(3e25))["eu-ai-act"]?.explanation)
    #expect(text.contains("1.00e+25 FLOP"))
    #expect(text.contains("3.00e+25"))
    #expect(text.contains("3× the threshold"))
    #expect(text.contains("±30%"))
    #expect(text.contains("general-purpose-indication"))
}

@Test func straddlingIntervalIsIndeterminate() throws {
    let v = try verdicts(try declared(9e25, low: 7e25, high: 1.2e26))
    #expect(v["ca-sb53"]?.verdict == .indeterminate)
    #expect(v["eu-ai-act"]?.verdict == .exceeds)
    #expect(v["ca-sb53"]?.explanation.contains("straddles") == true)
}

@Test func biologicalSequenceCriterionAppliesOnlyWhenDeclared() throws {
    #expect(try verdicts(try declared(5e23, bio: true))["eo-14110"]?.verdict == .exceeds)
    let unstated = try #require(try verdicts(try declared(5e23))["eo-14110"])
    #expect(unstated.verdict == .doesNotExceed)
    #expect(unstated.explanation.contains("primarily_biological not given"))
}

@Test func capabilityPolicyIsIndeterminateUntilThresholdsAreSet() throws {
    var set = try PolicySet.builtin()
    let before = try #require(try verdicts(try declared(1e27), set)["eo-14409"])
    #expect(before.verdict == .indeterminate)
    #expect(before.explanation.contains("no capability thresholds set"))

    // The government publishes a threshold as version 2: verdicts change without a rebuild.
    let criterion: [String: Any] = ["id": "cyber", "kind": "capability-score", "role": "determinative", "comparison": "greater-than-or-equal",
                                    "suite": "cybench", "threshold": 0.5, "description": "cyber-offense capability"]
    try set.load(json: try variant(of: "eo-14409", ["version": "2", "effective_date": "2026-06-05", "criteria": [criterion]]))
    func model(_ s: Double, _ lo: Double, _ hi: Double) -> ModelDescription {
        ModelDescription(name: "m", ledger: ComputeLedger(items: []), capabilityScores: [CapabilityScore(suite: "cybench", score: s, ciLow: lo, ciHigh: hi)])
    }
    #expect(try verdicts(model(0.7, 0.6, 0.8), set)["eo-14409"]?.verdict == .exceeds)
    #expect(try verdicts(model(0.3, 0.2, 0.4), set)["eo-14409"]?.verdict == .doesNotExceed)
    #expect(try verdicts(model(0.52, 0.45, 0.6), set)["eo-14409"]?.verdict == .indeterminate)
    #expect(try verdicts(try declared(1e27), set)["eo-14409"]?.explanation.contains("No cybench score") == true)
    #expect(set.versions(of: "eo-14409").map(\.version) == ["1", "2"])
}

@Test func capabilityCriterionComparesTheBoundThePolicyNames() throws {
    func set(bound: String?) throws -> PolicySet {
        var set = try PolicySet.builtin()
        var criterion: [String: Any] = ["id": "cyber", "kind": "capability-score", "role": "determinative", "comparison": "greater-than-or-equal",
                                        "suite": "cybench", "threshold": 0.5, "description": "cyber-offense capability"]
        if let bound { criterion["bound"] = bound }
        try set.load(json: try variant(of: "eo-14409", ["version": "2", "effective_date": "2026-06-05", "criteria": [criterion]]))
        return set
    }
    func model(_ s: Double, _ lo: Double, _ hi: Double) -> ModelDescription {
        ModelDescription(name: "m", ledger: ComputeLedger(items: []), capabilityScores: [CapabilityScore(suite: "cybench", score: s, ciLow: lo, ciHigh: hi)])
    }
    // The point estimate is above the threshold in both straddling cases; only the named bound decides.
    let lower = try set(bound: "lower"), upper = try set(bound: "upper")
    #expect(try verdicts(model(0.55, 0.45, 0.65), lower)["eo-14409"]?.verdict == .indeterminate)
    #expect(try verdicts(model(0.55, 0.45, 0.65), upper)["eo-14409"]?.verdict == .exceeds)
    #expect(try verdicts(model(0.45, 0.35, 0.55), upper)["eo-14409"]?.verdict == .exceeds)
    #expect(try verdicts(model(0.3, 0.2, 0.4), upper)["eo-14409"]?.verdict == .doesNotExceed)
    #expect(try verdicts(model(0.55, 0.45, 0.65), try set(bound: nil))["eo-14409"]?.verdict == .indeterminate)
    #expect(try verdicts(model(0.7, 0.6, 0.8), lower)["eo-14409"]?.explanation.contains("lower bound margin +0.1") == true)
    #expect(throws: (any Error).self) { try set(bound: "middle") }
}

@Test func newVersionLoadedAtRunTimeChangesVerdictAndKeepsTheOld() throws {
    var set = try PolicySet.builtin()
    let model = try declared(5e24)
    #expect(try verdicts(model, set)["eu-ai-act"]?.verdict == .doesNotExceed)
    let criterion: [String: Any] = ["id": "systemic-risk-presumption", "kind": "training-compute", "role": "determinative",
                                    "comparison": "greater-than", "threshold": 1e24, "unit": "FLOP", "description": "lowered by delegated act"]
    try set.load(json: try variant(of: "eu-ai-act", ["version": "2", "effective_date": "2026-05-01", "criteria": [criterion]]))
    let after = try #require(try verdicts(model, set)["eu-ai-act"])
    #expect(after.verdict == .exceeds)
    #expect(after.policyVersion == "2")
    #expect(set.versions(of: "eu-ai-act").count == 2)
    // On a date before version 2 took effect, version 1 still governs.
    let early = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
    #expect(set.current("eu-ai-act", asOf: early)?.version == "1")
    // A version that takes effect later does not displace the current one yet.
    try set.load(json: try variant(of: "eu-ai-act", ["version": "3", "effective_date": "2030-01-01"]))
    #expect(set.current("eu-ai-act", asOf: mid2026)?.version == "2")
}

@Test func conflictingRedefinitionOfAVersionIsRefused() throws {
    var set = try PolicySet.builtin()
    #expect(try set.load(json: try variant(of: "ca-sb53", [:])) == ThresholdPolicy(json: try variant(of: "ca-sb53", [:])))
    #expect(throws: FrontierError.conflictingPolicyVersion(id: "ca-sb53", version: "1")) {
        try set.load(json: try variant(of: "ca-sb53", ["title": "changed"]))
    }
}

@Test func policyDocumentsMustStateEveryCountingRule() throws {
    let rules: [[String: Any]] = [["category": "pre-training", "counts": true, "reason": "r"]]
    let error = frontierError { try ThresholdPolicy(json: try variant(of: "ca-sb53", ["counting_rules": rules])) }
    #expect(error?.path == "$.counting_rules[category=fine-tuning]")
    let badUnit = frontierError {
        try ThresholdPolicy(json: try variant(of: "ca-sb53", ["criteria": [["id": "x", "kind": "training-compute", "role": "determinative",
            "comparison": "greater-than", "threshold": 1e26, "unit": "petaflop/s-days", "description": "d"]]]))
    }
    #expect(badUnit?.path == "$.criteria[0].unit")
}

@Test func countingRulesDifferPerPolicy() throws {
    let model = try ModelDescription.parse(json: try Fixtures.data("frontier-ledger.json"), catalogue: try AcceleratorCatalogue.builtin())
    let v = try verdicts(model)
    let eu = try #require(v["eu-ai-act"])
    let sb = try #require(v["ca-sb53"])
    func counts(_ verdict: PolicyVerdict, _ category: LedgerCategory) -> Bool? {
        verdict.itemDecisions.first { $0.category == category }?.counts
    }
    #expect(counts(eu, .syntheticDataGeneration) == true)
    #expect(counts(sb, .syntheticDataGeneration) == false)
    for excluded in [LedgerCategory.evaluation, .failedExperiment, .rewardModel] {
        #expect(counts(eu, excluded) == false)
        #expect(counts(sb, excluded) == false)
    }
    #expect(counts(sb, .reinforcementLearning) == true)
    // pre-training 6 × 400e9 × 30e12 = 7.2e25, SFT on H100s, RL 2e25, synthetic 3e24 (EU only).
    let sft = 4096.0 * 240 * 3600 * 989.4e12 * 0.35
    let euCentral = try #require(eu.countedCompute?.central)
    #expect(abs(euCentral - (7.2e25 + sft + 2e25 + 3e24)) / euCentral < 1e-12)
    let sbCentral = try #require(sb.countedCompute?.central)
    #expect(abs(sbCentral - (7.2e25 + sft + 2e25)) / sbCentral < 1e-12)
    // 9.3e25 central with a high end above 1e26: SB 53 cannot decide; the EU line is far below.
    #expect(sb.verdict == .indeterminate)
    #expect(eu.verdict == .exceeds)
    #expect(eu.explanation.contains("excluded \"diverged 1T run\" (failed-experiment"))
    #expect(sb.explanation.contains("large-frontier-developer"))
    #expect(sb.explanation.contains("met"))
}

@Test func assessOutputsForScriptsAndPeople() throws {
    let model = try declared(3e25)
    let list = PolicyEvaluator.assess(model, policies: try PolicySet.builtin(), asOf: mid2026)
    let object = try #require(try JSONSerialization.jsonObject(with: FrontierReport.assessJSON(list)) as? [String: Any])
    let entries = try #require(object["verdicts"] as? [[String: Any]])
    #expect(entries.map { $0["policy"] as? String } == ["eo-14110", "eu-ai-act", "ca-sb53", "ny-raise", "eo-14409"])
    #expect(entries.map { $0["verdict"] as? String } == ["does-not-exceed", "exceeds", "does-not-exceed", "does-not-exceed", "indeterminate"])
    #expect(entries.allSatisfy { ($0["explanation"] as? String)?.isEmpty == false })
    let table = FrontierReport.assessTable(list, modelName: "m")
    #expect(table.contains("eu-ai-act  1        exceeds"))
    #expect(table.contains("none of them blocks or delays a release"))
}
