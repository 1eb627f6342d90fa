// Epoch AI's "Data on AI Models" tables as reference models, so a model version can be placed in
// the landscape (compute over publication date, against each policy's threshold), and the
// architecture estimate can be checked against Epoch's recorded compute.
// Data: Epoch AI, 'Data on AI Models', https://epoch.ai/data/ai-models, CC BY 4.0.

import Foundation

public struct ReferenceModel: Sendable, Equatable {
    public let name: String
    public let organization: String
    /// ISO date as Epoch writes it (YYYY-MM-DD), or nil.
    public let publicationDate: String?
    public let domain: String
    public let parameters: Double?
    /// "Training dataset size (total)": tokens for language models, but images, samples or frames
    /// elsewhere. Where Epoch lists several figures (comma-separated) this is the first.
    public let trainingDatasetSize: Double?
    public let trainingComputeFLOP: Double?
    public let confidence: String?
    public let epochs: Double?
    public let trainingHardware: String?
    public let hardwareQuantity: Double?
    public let trainingHours: Double?
    public let utilisation: Double?
    public let finetuneComputeFLOP: Double?
    public let numericalFormat: String?
    /// The model this one was fine-tuned from, where Epoch records one.
    public let baseModel: String?
    public let isFrontier: Bool
    public let parametersNotes: String?
    public let computeNotes: String?
    public let datasetNotes: String?
}

public enum EpochImport {
    static let requiredColumns = ["Model", "Organization", "Publication date", "Parameters", "Training compute (FLOP)", "Training dataset size (total)"]

    /// Parses one of Epoch's CSV exports. Rows without a model name are skipped; a number that
    /// cannot be read is an error naming the line and column, since silently dropping it would
    /// change which models cross a threshold.
    public static func parse(csv text: String) throws -> [ReferenceModel] {
        let table = try CSVTable(text: text)
        for column in requiredColumns where !table.hasColumn(column) {
            throw FrontierError.csv(line: 1, reason: "missing column \"\(column)\"")
        }
        var models: [ReferenceModel] = []
        for row in table.rows {
            func text(_ column: String) -> String? {
                guard let v = table.value(row, column)?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
                return v
            }
            func number(_ column: String) throws -> Double? {
                guard let raw = text(column) else { return nil }
                let first = raw.split(separator: ",").first.map(String.init) ?? raw
                guard let value = FrontierNumber.parse(first), value >= 0 else {
                    throw FrontierError.csv(line: row.line, reason: "column \"\(column)\": \"\(raw)\" is not a non-negative number")
                }
                return value
            }
            guard let name = text("Model") else { continue }
            models.append(ReferenceModel(
                name: name, organization: text("Organization") ?? "", publicationDate: text("Publication date"),
                domain: text("Domain") ?? "", parameters: try number("Parameters"),
                trainingDatasetSize: try number("Training dataset size (total)"),
                trainingComputeFLOP: try number("Training compute (FLOP)"), confidence: text("Confidence"),
                epochs: try number("Epochs"), trainingHardware: text("Training hardware"),
                hardwareQuantity: try number("Hardware quantity"), trainingHours: try number("Training time (hours)"),
                utilisation: try number("Hardware utilization (MFU)"), finetuneComputeFLOP: try number("Finetune compute (FLOP)"),
                numericalFormat: text("Numerical format"), baseModel: text("Base model"), isFrontier: text("Frontier model") == "True",
                parametersNotes: text("Parameters notes"), computeNotes: text("Training compute notes"),
                datasetNotes: text("Dataset size notes")))
        }
        return models
    }
}

/// How 6·N·D compares with Epoch's recorded compute where Epoch gives N, D and compute.
public struct ArchitectureComparison: Sendable {
    public struct Entry: Sendable {
        public let model: ReferenceModel
        public let estimate: Double
        public let recorded: Double
        /// estimate / recorded.
        public let ratio: Double
        /// A reading of Epoch's own columns that most likely explains a large disagreement.
        public let likelyCause: String
    }

    public let entries: [Entry]

    /// - languageOnly: keep models whose Epoch domain includes Language, where the dataset size
    ///   is a token (or word) count and 6·N·D is meaningful at all.
    /// - multiplyByEpochs: use 6·N·D·epochs wherever Epoch records epochs, since its dataset size
    ///   counts unique data once. A fraction below 1 counts too (GPT-3 175B: 0.6, a partial pass);
    ///   an earlier `max(1, epochs)` ignored fractions, which is why this count once read 122
    ///   where the independent Python reader in bench/frontier read 121.
    public init(models: [ReferenceModel], languageOnly: Bool = false, multiplyByEpochs: Bool = false) {
        entries = models.compactMap { m in
            guard let n = m.parameters, let d = m.trainingDatasetSize, let c = m.trainingComputeFLOP, n > 0, d > 0, c > 0 else { return nil }
            if languageOnly && !m.domain.lowercased().contains("language") { return nil }
            let passes = multiplyByEpochs ? (m.epochs.flatMap { $0 > 0 ? $0 : nil } ?? 1) : 1
            let estimate = 6 * n * d * passes
            return Entry(model: m, estimate: estimate, recorded: c, ratio: estimate / c, likelyCause: Self.likelyCause(m, ratio: estimate / c))
        }
    }

    public var count: Int { entries.count }

    /// Entries whose estimate is within a factor `f` of the recorded figure either way.
    public func within(factor f: Double) -> Int { entries.filter { $0.ratio <= f && $0.ratio >= 1 / f }.count }

    public func share(within f: Double) -> Double { count == 0 ? 0 : Double(within(factor: f)) / Double(count) }

    /// The `n` entries furthest from agreement on a logarithmic scale.
    public func worst(_ n: Int) -> [Entry] {
        Array(entries.sorted { abs(log10($0.ratio)) > abs(log10($1.ratio)) }.prefix(n))
    }

    static func likelyCause(_ m: ReferenceModel, ratio: Double) -> String {
        let notes = [m.parametersNotes, m.computeNotes, m.datasetNotes, Optional(m.name)].compactMap { $0 }.joined(separator: " ").lowercased()
        let isLanguage = m.domain.lowercased().contains("language")
        if ratio > 1, notes.contains("mixture") || notes.contains("moe") || notes.contains("expert") {
            return "mixture-of-experts: Epoch's parameter count is the total, but only the active experts' parameters compute per token"
        }
        if ratio < 1, let base = m.baseModel {
            return "fine-tuned from \(base): the dataset size is the fine-tuning set, while the recorded compute includes the base model's pre-training"
        }
        if ratio > 1000 {
            return "only a sliver of the parameters is used per token (embedding tables or n-gram counts rather than a dense network), so 6·N·D vastly overcounts"
        }
        if !isLanguage {
            return "the dataset size is counted in \(m.domain.isEmpty ? "non-token" : m.domain.lowercased()) units (images, samples, frames, games), not tokens, so 6·N·D does not measure this model's compute"
        }
        if ratio < 1, let e = m.epochs, e > 1 {
            return "trained for \(FrontierNumber.ratio(e)) epochs: the dataset size counts unique data once, the compute counts every pass"
        }
        if ratio < 1 {
            return "recorded compute covers more than one pass over the recorded data (repeated data, a base model's training, or a hardware-based figure), so 6·N·D undercounts"
        }
        return "the recorded dataset is larger than what the model was trained on (a subset or less than one epoch), or Epoch's compute comes from hardware figures"
    }
}
