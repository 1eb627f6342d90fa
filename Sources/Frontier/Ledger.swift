// The compute ledger of a model version: line items by category, each with its own estimate.
// Which items count toward a threshold is not decided here but by each policy's counting rules
// (see Policy.swift); the ledger only records what was spent and how it was estimated.

import Foundation

public enum LedgerCategory: String, Sendable, Codable, CaseIterable, Equatable {
    case preTraining = "pre-training"
    case fineTuning = "fine-tuning"
    case reinforcementLearning = "reinforcement-learning"
    /// Compute spent generating synthetic training data that is not publicly available (the EU
    /// guidelines count it; data a developer merely downloads was not its compute to begin with).
    case syntheticDataGeneration = "synthetic-data-generation"
    /// Compute embodied in weights the model was merged from or initialised with.
    case mergedOrInitialisedWeights = "merged-or-initialised-weights"
    case evaluation
    case failedExperiment = "failed-experiment"
    case teacherModel = "teacher-model"
    case rewardModel = "reward-model"
    case other
}

public struct LedgerItem: Sendable, Equatable {
    public let label: String
    public let category: LedgerCategory
    public let estimate: ComputeEstimate

    public init(label: String, category: LedgerCategory, estimate: ComputeEstimate) {
        self.label = label
        self.category = category
        self.estimate = estimate
    }
}

public struct ComputeLedger: Sendable, Equatable {
    public let items: [LedgerItem]

    public init(items: [LedgerItem]) { self.items = items }

    /// The sum of every item regardless of counting rules (what was spent in total).
    public var grossTotal: ComputeInterval { items.reduce(.zero) { $0 + $1.estimate.interval } }

    /// The sum of the items `counts` admits.
    public func total(where counts: (LedgerItem) -> Bool) -> ComputeInterval {
        items.filter(counts).reduce(.zero) { $0 + $1.estimate.interval }
    }
}
