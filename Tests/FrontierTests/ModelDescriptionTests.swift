// Model description files: the three ways of stating compute, and bad files answered with a
// message naming the JSON path of the field at fault.

import Foundation
import Testing
@testable import Frontier

private func parse(_ text: String) throws -> ModelDescription {
    try ModelDescription.parse(json: Data(text.utf8), catalogue: try AcceleratorCatalogue.builtin())
}

private func failure(_ text: String) -> FrontierError? {
    frontierError { try parse(text) }
}

@Test func readsArchitectureFileWithStringNumbers() throws {
    let m = try ModelDescription.parse(json: try Fixtures.data("moe-architecture.json"), catalogue: try AcceleratorCatalogue.builtin())
    #expect(m.name == "Example MoE")
    #expect(m.ledger.grossTotal.central == 6 * 37e9 * 14.8e12)
}

@Test func readsDeclaredFileWithRange() throws {
    let m = try ModelDescription.parse(json: try Fixtures.data("declared-range.json"), catalogue: try AcceleratorCatalogue.builtin())
    #expect(m.ledger.grossTotal == (try ComputeInterval(low: 7e25, central: 9e25, high: 1.2e26)))
}

@Test func readsLedgerFileWithAllThreeMethods() throws {
    let m = try ModelDescription.parse(json: try Fixtures.data("frontier-ledger.json"), catalogue: try AcceleratorCatalogue.builtin())
    #expect(m.ledger.items.map(\.estimate.method) == [.architecture, .hardware, .declared, .declared, .declared, .declared, .declared])
    #expect(m.developerRevenueUSD == 1.2e9)
    #expect(m.capabilityScores.first?.ciHigh == 0.49)
}

@Test func badFilesNameTheField() {
    let cases: [(String, String)] = [
        (#"{"training_compute_flop": 1e25}"#, "$.name"),
        (#"{"name": "x"}"#, "$.training_compute_flop (or $.parameters with $.training_tokens, or $.ledger)"),
        (#"{"name": "x", "parameters": 7e10}"#, "$.training_tokens"),
        (#"{"name": "x", "parameters": -7e10, "training_tokens": 1e12}"#, "$.parameters"),
        (#"{"name": "x", "training_compute_flop": "1e25 FLOP"}"#, "$.training_compute_flop"),
        (#"{"name": "x", "training_compute_flop": 25}"#, "$.training_compute_flop"),
        (#"{"name": "x", "parameters": 70, "training_tokens": 1.4e12}"#, "$.parameters"),
        (#"{"name": "x", "parameters": "70B", "training_tokens": 1.4e12}"#, "$.parameters"),
        (#"{"name": "x", "training_compute_flop": 1e25, "training_compute_flop_high": 1e24}"#, "$.training_compute_flop_high"),
        (#"{"name": "x", "training_compute_flop": 1e25, "parameters": 7e10}"#, "$.parameters"),
        (#"{"name": "x", "ledger": [{"category": "pre-training", "accelerator": "H900", "count": 8, "hours": 1, "utilization": 0.4}]}"#, "$.ledger[0].accelerator"),
        (#"{"name": "x", "ledger": [{"category": "pre-training", "accelerator": "H100", "count": 8, "hours": 1, "utilization": 40}]}"#, "$.ledger[0].utilization"),
        (#"{"name": "x", "ledger": [{"category": "pre-training", "accelerator": "H100", "count": 8, "hours": -1, "utilization": 0.4}]}"#, "$.ledger[0].hours"),
        (#"{"name": "x", "ledger": [{"category": "pre-training", "accelerator": "TPU v4", "count": 8, "hours": 1, "utilization": 0.4, "precision": "fp8"}]}"#, "$.ledger[0].precision"),
        (#"{"name": "x", "ledger": [{"category": "pre-training", "flop": 1e25}, {"category": "distillation", "flop": 1e24}]}"#, "$.ledger[1].category"),
        (#"{"name": "x", "ledger": [{"category": "pre-training", "flop": true}]}"#, "$.ledger[0].flop"),
        (#"{"name": "x", "training_compute_flop": 1e25, "developer_revenue_usd": 600}"#, "$.developer_revenue_usd"),
        (#"{"name": "x", "training_compute_flop": 1e25, "capability_scores": [{"suite": "s", "score": 0.5, "ci_low": 0.6}]}"#, "$.capability_scores[0].ci_low"),
    ]
    for (text, path) in cases {
        let error = failure(text)
        #expect(error?.path == path, "\(text)")
        #expect(error.map { String(describing: $0).hasPrefix(path) } == true)
    }
}

@Test func unitMistakesGetAUnitsMessage() {
    guard case .wrongUnits(_, let reason)? = failure(#"{"name": "x", "training_compute_flop": "1e25 FLOP"}"#) else {
        Issue.record("expected a units error"); return
    }
    #expect(reason.contains("plain number"))
    guard case .wrongUnits(_, let reason2)? = failure(#"{"name": "x", "parameters": 70, "training_tokens": 1.4e12}"#) else {
        Issue.record("expected a units error"); return
    }
    #expect(reason2.contains("70e9"))
}

@Test func invalidJSONIsReported() {
    guard case .invalidJSON? = failure("{\"name\": ") else { Issue.record("expected invalidJSON"); return }
}
