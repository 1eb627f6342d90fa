// Training-compute estimation by the three methods the frontier program accepts — architecture
// (6·N·D), hardware (accelerators × time × peak × utilisation) and a declared figure — each giving
// an interval (low, central, high) built by the uncertainty model documented on `UncertaintyModel`.

import Foundation

/// A compute figure with its plausible range, in FLOP. Invariant: 0 ≤ low ≤ central ≤ high.
public struct ComputeInterval: Sendable, Equatable, Codable {
    public let low: Double
    public let central: Double
    public let high: Double

    public init(low: Double, central: Double, high: Double) throws {
        guard low.isFinite, central.isFinite, high.isFinite, low >= 0, low <= central, central <= high else {
            throw FrontierError.invalidValue(
                path: "interval",
                reason: "needs 0 ≤ low ≤ central ≤ high, got \(FrontierNumber.scientific(low)) / \(FrontierNumber.scientific(central)) / \(FrontierNumber.scientific(high))")
        }
        self.low = low
        self.central = central
        self.high = high
    }

    /// A figure with no stated uncertainty.
    public init(exactly value: Double) {
        let v = max(0, value.isFinite ? value : 0)
        low = v; central = v; high = v
    }

    public static let zero = ComputeInterval(exactly: 0)

    /// Sum of intervals: lows add and highs add. This treats the items' errors as fully
    /// correlated, which is deliberate: ledger items are estimated by one team with the same
    /// assumptions (same utilisation habits, same token counting), so their errors do not cancel,
    /// and adding bounds never reports a range narrower than the evidence supports.
    public static func + (a: ComputeInterval, b: ComputeInterval) -> ComputeInterval {
        ComputeInterval(unchecked: a.low + b.low, a.central + b.central, a.high + b.high)
    }

    init(unchecked low: Double, _ central: Double, _ high: Double) {
        self.low = low; self.central = central; self.high = high
    }

    /// Whether the range is a single point.
    public var isExact: Bool { low == high }
}

public enum EstimationMethod: String, Sendable, Codable, Equatable {
    case architecture, hardware, declared
}

public struct ComputeEstimate: Sendable, Equatable {
    public let method: EstimationMethod
    public let interval: ComputeInterval
    /// How the figure was obtained, for explanations ("6 × 7.00e+10 parameters × 1.40e+12 tokens").
    public let basis: String

    public var flop: Double { interval.central }
}

/// How wide an estimate's interval is, per method. Values are relative factors so that they read
/// the same at every scale; they are injectable so a deployment can publish its own model.
///
/// - Architecture (6·N·D): the factor 6 counts two FLOP per weight per token forward and four
///   backward. It leaves out attention-score arithmetic, which grows with context length and adds
///   roughly 5–25% for today's large models at long contexts, so the truth is more often above than
///   below: high = +25%. Declared N and D are usually rounded ("15T tokens"): low = −10%.
/// - Hardware: peak rate, accelerator count and hours are bookkeeping figures taken as exact; the
///   uncertain factor is utilisation (MFU), which drifts over a run with restarts, stragglers and
///   changing parallelism. Reported MFUs for comparable runs differ by about a fifth, so without a
///   stated utilisation range we use ±20% of the stated utilisation (capped at 1).
/// - Declared: the developer's own figure; its range is the one the developer declares, and a bare
///   figure is taken as exact (the developer is asked to declare bounds if it has any).
public struct UncertaintyModel: Sendable, Equatable {
    public var architectureLowFactor: Double
    public var architectureHighFactor: Double
    public var utilisationRelativeSpread: Double

    public init(architectureLowFactor: Double = 0.9, architectureHighFactor: Double = 1.25, utilisationRelativeSpread: Double = 0.2) {
        self.architectureLowFactor = architectureLowFactor
        self.architectureHighFactor = architectureHighFactor
        self.utilisationRelativeSpread = utilisationRelativeSpread
    }

    public static let standard = UncertaintyModel()
}

public enum ComputeEstimator {
    /// 6·N·D for a dense transformer; for mixture-of-experts, N is the parameters active per token,
    /// because each token only passes through the routed experts.
    public static func architecture(
        parameters: Double, tokens: Double, activeParameters: Double? = nil,
        uncertainty: UncertaintyModel = .standard, fieldPrefix: String = "$"
    ) throws -> ComputeEstimate {
        try requirePositive(parameters, "\(fieldPrefix).parameters")
        try requirePositive(tokens, "\(fieldPrefix).training_tokens")
        var n = parameters
        var basis = "6 × \(FrontierNumber.scientific(parameters)) parameters × \(FrontierNumber.scientific(tokens)) tokens (dense)"
        if let active = activeParameters {
            try requirePositive(active, "\(fieldPrefix).active_parameters")
            guard active <= parameters else {
                throw FrontierError.invalidValue(
                    path: "\(fieldPrefix).active_parameters",
                    reason: "active parameters (\(FrontierNumber.scientific(active))) cannot exceed total parameters (\(FrontierNumber.scientific(parameters)))")
            }
            n = active
            basis = "6 × \(FrontierNumber.scientific(active)) active parameters × \(FrontierNumber.scientific(tokens)) tokens (mixture-of-experts, \(FrontierNumber.scientific(parameters)) total)"
        }
        let central = 6 * n * tokens
        let interval = try ComputeInterval(
            low: central * uncertainty.architectureLowFactor, central: central, high: central * uncertainty.architectureHighFactor)
        return ComputeEstimate(method: .architecture, interval: interval, basis: basis)
    }

    /// count × hours × 3600 × peak dense FLOP/s at `precision` × utilisation.
    public static func hardware(
        accelerator: Accelerator, count: Double, hours: Double, precision: Precision = .bf16,
        utilisation: Double, utilisationLow: Double? = nil, utilisationHigh: Double? = nil,
        uncertainty: UncertaintyModel = .standard, fieldPrefix: String = "$"
    ) throws -> ComputeEstimate {
        try requirePositive(count, "\(fieldPrefix).count")
        try requirePositive(hours, "\(fieldPrefix).hours")
        try requireUtilisation(utilisation, "\(fieldPrefix).utilization")
        guard let peak = accelerator.peak(precision) else {
            throw FrontierError.unknownPrecision(
                path: "\(fieldPrefix).precision", precision: precision.rawValue, accelerator: accelerator.name,
                available: accelerator.availablePrecisions.map(\.rawValue))
        }
        let uLow = utilisationLow ?? utilisation * (1 - uncertainty.utilisationRelativeSpread)
        let uHigh = utilisationHigh ?? min(1, utilisation * (1 + uncertainty.utilisationRelativeSpread))
        if let l = utilisationLow { try requireUtilisation(l, "\(fieldPrefix).utilization_low") }
        if let h = utilisationHigh { try requireUtilisation(h, "\(fieldPrefix).utilization_high") }
        guard uLow <= utilisation else {
            throw FrontierError.invalidValue(path: "\(fieldPrefix).utilization_low", reason: "must not exceed utilization")
        }
        guard uHigh >= utilisation else {
            throw FrontierError.invalidValue(path: "\(fieldPrefix).utilization_high", reason: "must not be below utilization")
        }
        let peakWork = count * hours * 3600 * peak
        let interval = try ComputeInterval(low: peakWork * uLow, central: peakWork * utilisation, high: peakWork * uHigh)
        let basis = "\(FrontierNumber.ratio(count)) × \(accelerator.name) × \(FrontierNumber.ratio(hours)) h × 3600 s/h × "
            + "\(FrontierNumber.scientific(peak)) FLOP/s (\(precision.rawValue) dense peak) × utilisation \(FrontierNumber.ratio(utilisation))"
            + " (range \(FrontierNumber.ratio(uLow))–\(FrontierNumber.ratio(uHigh)))"
        return ComputeEstimate(method: .hardware, interval: interval, basis: basis)
    }

    /// A figure stated by the developer, with optional bounds.
    /// `field` is the path of the figure; its bounds are reported as `field_low` / `field_high`.
    public static func declared(flop: Double, low: Double? = nil, high: Double? = nil, field: String = "$.training_compute_flop") throws -> ComputeEstimate {
        guard flop >= 0 else { throw FrontierError.invalidValue(path: field, reason: "must not be negative") }
        if let low, !(low >= 0 && low <= flop) {
            throw FrontierError.invalidValue(path: "\(field)_low", reason: "must be between 0 and the declared figure \(FrontierNumber.scientific(flop))")
        }
        if let high, !(high >= flop) {
            throw FrontierError.invalidValue(path: "\(field)_high", reason: "must not be below the declared figure \(FrontierNumber.scientific(flop))")
        }
        let interval = try ComputeInterval(low: low ?? flop, central: flop, high: high ?? flop)
        let basis = interval.isExact
            ? "declared \(FrontierNumber.scientific(flop)) FLOP (no range declared)"
            : "declared \(FrontierNumber.scientific(flop)) FLOP (declared range \(FrontierNumber.scientific(interval.low))–\(FrontierNumber.scientific(interval.high)))"
        return ComputeEstimate(method: .declared, interval: interval, basis: basis)
    }

    private static func requirePositive(_ value: Double, _ path: String) throws {
        guard value.isFinite, value > 0 else {
            throw FrontierError.invalidValue(path: path, reason: value < 0 ? "must not be negative" : "must be greater than zero")
        }
    }

    /// Utilisation is a fraction; a value above 1 is almost always a percentage typed by mistake.
    private static func requireUtilisation(_ value: Double, _ path: String) throws {
        guard value > 0 else { throw FrontierError.invalidValue(path: path, reason: "must be greater than zero") }
        guard value <= 1 else {
            throw FrontierError.wrongUnits(path: path, reason: "utilisation is a fraction between 0 and 1; \(FrontierNumber.ratio(value)) looks like a percentage (write \(FrontierNumber.ratio(value / 100)))")
        }
    }
}
