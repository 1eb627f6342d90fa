// The YAML subset model files may use: the same tree as the JSON form, and refusals that name the line.
import Foundation
import Frontier
import Platform
import Testing

@Suite("YAML subset")
struct YAMLSubsetTests {
    @Test("a YAML ledger file describes the same model as its JSON twin")
    func sameAsJSON() throws {
        let yaml = """
            # comment
            ---
            name: "Example Frontier 1 (ledger)"   # trailing comment
            developer_revenue_usd: "1.2e9"
            primarily_biological: false
            ledger:
              - label: pre-training run
                category: pre-training
                parameters: "400e9"
                training_tokens: "30e12"
              - {label: supervised fine-tuning, category: fine-tuning, accelerator: H100, count: 4096, hours: 240, utilization: 0.35, precision: bf16}
              - label: reasoning RL
                category: reinforcement-learning
                flop: 2.0e25
                flop_low: 1.5e25
                flop_high: 2.6e25
              - {label: non-public synthetic data, category: synthetic-data-generation, flop: "3e24"}
              - {label: capability evaluations, category: evaluation, flop: 5e23}
              - {label: diverged 1T run, category: failed-experiment, flop: 4e25}
              - {label: reward model, category: reward-model, flop: 1e24}
            capability_scores:
            - suite: cybench
              score: 0.42
              ci_low: 0.35
              ci_high: 0.49
            """
        let catalogue = try AcceleratorCatalogue.builtin()
        let fromYAML = try ModelDescription.parse(file: Data(yaml.utf8), yaml: true, catalogue: catalogue)
        let fromJSON = try ModelDescription.parse(json: try Fixtures.data("frontier-ledger.json"), catalogue: catalogue)
        #expect(fromYAML == fromJSON)
    }

    @Test("scalars: quotes keep text, plain numbers and booleans are typed, units stay text for the validator")
    func scalars() throws {
        let tree = try YAMLSubset.parse("a: 'it''s'\nb: 70e9\nc: true\nd: ~\ne: 70B\nf: [1, \"x, y\"]\n")
        #expect(tree == .object(["a": .string("it's"), "b": .double(70e9), "c": .bool(true), "d": .null, "e": .string("70B"),
                                 "f": .array([.double(1), .string("x, y")])]))
        let error = frontierError {
            try ModelDescription.parse(file: Data("name: x\nparameters: 70B\ntraining_tokens: 1e12\n".utf8), yaml: true, catalogue: try AcceleratorCatalogue.builtin())
        }
        #expect(error?.path == "$.parameters")
    }

    @Test("what the subset does not read is refused with its line number", arguments: [
        ("name: x\n\tparameters: 1\n", "YAML line 2"),
        ("name: &a x\n", "YAML line 1: anchors"),
        ("name: |\n  text\n", "YAML line 1: block scalars"),
        ("name: x\nname: y\n", "YAML line 2: duplicate key"),
        ("name: x\n  more: 1\n", "YAML line 2"),
    ])
    func refusals(text: String, expected: String) {
        let error = frontierError { try YAMLSubset.parse(text) }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }
}
