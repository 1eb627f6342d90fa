// The model description file `clearinghouse assess FILE` reads, in JSON or in the YAML subset
// `YAMLSubset` reads (both become the same tree). It needs `name` and one way of stating training compute:
//   - `training_compute_flop` (optional `training_compute_flop_low` / `_high`), or
//   - `parameters` + `training_tokens` (optional `active_parameters` for mixture-of-experts), or
//   - `ledger`: [{label?, category, method?, ...fields of the method}]
// Optional: `primarily_biological`, `developer_revenue_usd`, `capability_scores`
// ([{suite, score, ci_low?, ci_high?}]). Numbers may be JSON numbers or strings like "70e9".
// Every error names the JSON path of the field at fault.

import Foundation
import Platform

public struct CapabilityScore: Sendable, Equatable {
    public let suite: String
    public let score: Double
    public let ciLow: Double
    public let ciHigh: Double
    /// Where the score came from (e.g. "benchmark run <id>"), named in the verdict's explanation.
    public let source: String?

    public init(suite: String, score: Double, ciLow: Double? = nil, ciHigh: Double? = nil, source: String? = nil) {
        self.suite = suite
        self.source = source
        self.score = score
        self.ciLow = ciLow ?? score
        self.ciHigh = ciHigh ?? score
    }
}

public struct ModelDescription: Sendable, Equatable {
    public let name: String
    public let ledger: ComputeLedger
    /// nil when the file does not say; policies treat that as "not primarily biological" and say so.
    public let primarilyBiological: Bool?
    public let developerRevenueUSD: Double?
    public let capabilityScores: [CapabilityScore]

    public init(name: String, ledger: ComputeLedger, primarilyBiological: Bool? = nil,
                developerRevenueUSD: Double? = nil, capabilityScores: [CapabilityScore] = []) {
        self.name = name
        self.ledger = ledger
        self.primarilyBiological = primarilyBiological
        self.developerRevenueUSD = developerRevenueUSD
        self.capabilityScores = capabilityScores
    }

    /// A model known only by a declared total, as the Epoch reference data gives it.
    public static func declared(name: String, flop: Double, low: Double? = nil, high: Double? = nil) throws -> ModelDescription {
        let estimate = try ComputeEstimator.declared(flop: flop, low: low, high: high)
        return ModelDescription(name: name, ledger: ComputeLedger(items: [
            LedgerItem(label: "declared training compute", category: .preTraining, estimate: estimate),
        ]))
    }

    public static func parse(json: Data, catalogue: AcceleratorCatalogue, uncertainty: UncertaintyModel = .standard) throws -> ModelDescription {
        try parse(tree: try JSONValue.document(json), catalogue: catalogue, uncertainty: uncertainty)
    }

    /// Reads a file's bytes as YAML (the subset `YAMLSubset` documents) when `yaml` is true, else as JSON.
    public static func parse(file: Data, yaml: Bool, catalogue: AcceleratorCatalogue, uncertainty: UncertaintyModel = .standard) throws -> ModelDescription {
        guard yaml else { return try parse(json: file, catalogue: catalogue, uncertainty: uncertainty) }
        guard let text = String(data: file, encoding: .utf8) else { throw FrontierError.invalidJSON(reason: "the YAML file is not UTF-8") }
        return try parse(tree: try YAMLSubset.parse(text), catalogue: catalogue, uncertainty: uncertainty)
    }

    public static func parse(tree: JSONValue, catalogue: AcceleratorCatalogue, uncertainty: UncertaintyModel = .standard) throws -> ModelDescription {
        let root = JSONCursor(tree)
        _ = try root.object()
        let name = try root.required("name").nonEmptyString()

        let forms = [
            ("training_compute_flop", try root.has("training_compute_flop")),
            ("parameters", try root.has("parameters") || root.has("training_tokens") || root.has("active_parameters")),
            ("ledger", try root.has("ledger")),
        ].filter(\.1).map(\.0)
        guard let form = forms.first else {
            throw FrontierError.missingField(path: "$.training_compute_flop (or $.parameters with $.training_tokens, or $.ledger)")
        }
        guard forms.count == 1 else {
            throw FrontierError.invalidValue(path: "$.\(forms[1])", reason: "conflicts with $.\(forms[0]); state training compute one way only")
        }

        let items: [LedgerItem]
        switch form {
        case "training_compute_flop":
            items = [LedgerItem(label: "declared training compute", category: .preTraining,
                                estimate: try declaredEstimate(root, key: "training_compute_flop"))]
        case "parameters":
            items = [LedgerItem(label: "training run (parameters × tokens)", category: .preTraining,
                                estimate: try architectureEstimate(root, uncertainty: uncertainty))]
        default:
            let entries = try root.required("ledger").array()
            guard !entries.isEmpty else { throw FrontierError.invalidValue(path: "$.ledger", reason: "must list at least one item") }
            items = try entries.map { try ledgerItem($0, catalogue: catalogue, uncertainty: uncertainty) }
        }

        var revenue: Double?
        if let r = try root.optional("developer_revenue_usd") {
            let value = try r.nonNegativeNumber()
            // Revenue is in dollars; a small figure is almost certainly written in millions.
            if value > 0 && value < 1e5 {
                throw FrontierError.wrongUnits(path: r.path, reason: "revenue is in US dollars; \(FrontierNumber.ratio(value)) looks like millions (write \(FrontierNumber.scientific(value * 1e6)))")
            }
            revenue = value
        }
        var scores: [CapabilityScore] = []
        for s in try root.optional("capability_scores")?.array() ?? [] {
            let score = try s.required("score").number()
            let low = try s.optional("ci_low")?.number()
            let high = try s.optional("ci_high")?.number()
            if let low, low > score { throw FrontierError.invalidValue(path: "\(s.path).ci_low", reason: "must not exceed score") }
            if let high, high < score { throw FrontierError.invalidValue(path: "\(s.path).ci_high", reason: "must not be below score") }
            scores.append(CapabilityScore(suite: try s.required("suite").nonEmptyString(), score: score, ciLow: low, ciHigh: high))
        }
        return ModelDescription(
            name: name, ledger: ComputeLedger(items: items),
            primarilyBiological: try root.optional("primarily_biological")?.bool(),
            developerRevenueUSD: revenue, capabilityScores: scores)
    }

    // MARK: - pieces

    /// Below these, a count is far more likely a figure written in other units (billions, an
    /// exponent) than a real quantity of a model a frontier assessment concerns.
    private static let minimumPlausibleFLOP = 1e12
    private static let minimumPlausibleCount = 1e3

    private static func declaredEstimate(_ c: JSONCursor, key: String) throws -> ComputeEstimate {
        let figure = try c.required(key)
        let flop = try plausibleFLOP(figure)
        let low = try c.optional("\(key)_low").map(plausibleFLOP)
        let high = try c.optional("\(key)_high").map(plausibleFLOP)
        return try ComputeEstimator.declared(flop: flop, low: low, high: high, field: figure.path)
    }

    private static func plausibleFLOP(_ c: JSONCursor) throws -> Double {
        let value = try c.nonNegativeNumber()
        if value < minimumPlausibleFLOP {
            throw FrontierError.wrongUnits(path: c.path, reason: "\(FrontierNumber.ratio(value)) FLOP is implausibly small for training compute; give the figure in FLOP (for 10^\(Int(value)) write 1e\(Int(value)))")
        }
        return value
    }

    private static func plausibleCount(_ c: JSONCursor, what: String) throws -> Double {
        let value = try c.nonNegativeNumber()
        if value < minimumPlausibleCount {
            throw FrontierError.wrongUnits(path: c.path, reason: "\(FrontierNumber.ratio(value)) \(what) is implausibly small; give the plain count (for \(FrontierNumber.ratio(value)) billion write \(FrontierNumber.ratio(value))e9)")
        }
        return value
    }

    private static func architectureEstimate(_ c: JSONCursor, uncertainty: UncertaintyModel) throws -> ComputeEstimate {
        let parameters = try plausibleCount(try c.required("parameters"), what: "parameters")
        let tokens = try plausibleCount(try c.required("training_tokens"), what: "tokens")
        let active = try c.optional("active_parameters").map { try plausibleCount($0, what: "active parameters") }
        return try ComputeEstimator.architecture(parameters: parameters, tokens: tokens, activeParameters: active,
                                                 uncertainty: uncertainty, fieldPrefix: c.path)
    }

    private static func ledgerItem(_ c: JSONCursor, catalogue: AcceleratorCatalogue, uncertainty: UncertaintyModel) throws -> LedgerItem {
        _ = try c.object()
        let categoryCursor = try c.required("category")
        let categoryName = try categoryCursor.string()
        guard let category = LedgerCategory(rawValue: categoryName) else {
            throw FrontierError.invalidValue(path: categoryCursor.path, reason: "unknown category \"\(categoryName)\"; use one of \(LedgerCategory.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let label = try c.optional("label")?.nonEmptyString() ?? category.rawValue

        var present: [EstimationMethod] = []
        if try c.has("flop") { present.append(.declared) }
        if try c.has("accelerator") { present.append(.hardware) }
        if try c.has("parameters") || c.has("training_tokens") { present.append(.architecture) }
        let method: EstimationMethod
        if let m = try c.optional("method") {
            guard let stated = EstimationMethod(rawValue: try m.string()) else {
                throw FrontierError.invalidValue(path: m.path, reason: "use architecture, hardware or declared")
            }
            method = stated
        } else {
            guard let only = present.first else {
                throw FrontierError.missingField(path: "\(c.path).flop (or .parameters with .training_tokens, or .accelerator with .count, .hours, .utilization)")
            }
            guard present.count == 1 else {
                throw FrontierError.invalidValue(path: c.path, reason: "fields of several methods (\(present.map(\.rawValue).joined(separator: ", "))); add \"method\" or keep one")
            }
            method = only
        }

        let estimate: ComputeEstimate
        switch method {
        case .declared:
            estimate = try declaredEstimate(c, key: "flop")
        case .architecture:
            estimate = try architectureEstimate(c, uncertainty: uncertainty)
        case .hardware:
            let acceleratorCursor = try c.required("accelerator")
            let acceleratorName = try acceleratorCursor.string()
            guard let accelerator = catalogue.find(acceleratorName) else {
                throw FrontierError.unknownAccelerator(path: acceleratorCursor.path, name: acceleratorName, known: catalogue.knownNames)
            }
            var precision = Precision.bf16
            if let p = try c.optional("precision") {
                let text = try p.string()
                guard let parsed = Precision(rawValue: text.lowercased()) else {
                    throw FrontierError.invalidValue(path: p.path, reason: "unknown precision \"\(text)\"; use one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                precision = parsed
            }
            let countCursor = try c.required("count")
            let count = try countCursor.positiveNumber()
            guard count == count.rounded() else {
                throw FrontierError.invalidValue(path: countCursor.path, reason: "a number of accelerators must be whole")
            }
            estimate = try ComputeEstimator.hardware(
                accelerator: accelerator, count: count, hours: try c.required("hours").positiveNumber(), precision: precision,
                utilisation: try c.required("utilization").number(),
                utilisationLow: try c.optional("utilization_low")?.number(),
                utilisationHigh: try c.optional("utilization_high")?.number(),
                uncertainty: uncertainty, fieldPrefix: c.path)
        }
        return LedgerItem(label: label, category: category, estimate: estimate)
    }
}

extension ModelDescription {
    /// One ledger line item in the model file's `ledger[]` form (the API's ledger body), with
    /// errors naming paths relative to the item (`$.hours`).
    public static func parseLedgerItem(json: Data, catalogue: AcceleratorCatalogue) throws -> LedgerItem {
        let item = try JSONValue.document(json)
        guard case .object = item else { throw FrontierError.wrongType(path: "$", expected: "an object, got \(item.typeName)") }
        do {
            let model = try parse(tree: .object(["name": .string("item"), "ledger": .array([item])]), catalogue: catalogue)
            guard let first = model.ledger.items.first else { throw FrontierError.missingField(path: "$") }
            return first
        } catch let error as FrontierError {
            throw error.rebased(from: "$.ledger[0]")
        }
    }
}

extension FrontierError {
    /// The same error with `prefix` in its path replaced by `$`.
    func rebased(from prefix: String) -> FrontierError {
        func fix(_ p: String) -> String { p.hasPrefix(prefix) ? "$" + p.dropFirst(prefix.count) : p }
        switch self {
        case .missingField(let p): return .missingField(path: fix(p))
        case .wrongType(let p, let e): return .wrongType(path: fix(p), expected: e)
        case .invalidValue(let p, let r): return .invalidValue(path: fix(p), reason: r)
        case .wrongUnits(let p, let r): return .wrongUnits(path: fix(p), reason: r)
        case .unknownAccelerator(let p, let n, let k): return .unknownAccelerator(path: fix(p), name: n, known: k)
        case .unknownPrecision(let p, let pr, let a, let av): return .unknownPrecision(path: fix(p), precision: pr, accelerator: a, available: av)
        default: return self
        }
    }
}
