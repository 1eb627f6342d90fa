// A benchmark suite file (JSON): which datasets, how to solve and score them, how many epochs,
// which metrics, and the generation settings. Its name and version go into every run record.
import Foundation

public struct GenerationSettings: Sendable, Equatable, Hashable, Codable {
    public var temperature: Double?
    public var maxTokens: Int?
    public var seed: Int?
    public var systemMessage: String?

    public init(temperature: Double? = nil, maxTokens: Int? = nil, seed: Int? = nil, systemMessage: String? = nil) {
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
        self.systemMessage = systemMessage
    }

    enum CodingKeys: String, CodingKey {
        case temperature, seed
        case maxTokens = "max_tokens"
        case systemMessage = "system_message"
    }
}

public struct DatasetSpec: Sendable, Equatable, Codable {
    /// Relative paths resolve against the suite file's folder.
    public var path: String
    public var format: DatasetFormat?
    public var mapping: FieldMapping
    /// The preset name when the mapping was given by name (kept so the suite re-encodes as written).
    public var mappingPreset: String?
    /// Take only the first N samples (smoke runs).
    public var limit: Int?

    public init(path: String, format: DatasetFormat? = nil, mapping: FieldMapping = .inspect, mappingPreset: String? = nil, limit: Int? = nil) {
        self.path = path
        self.format = format
        self.mapping = mapping
        self.mappingPreset = mappingPreset
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey { case path, format, mapping, limit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        format = try c.decodeIfPresent(DatasetFormat.self, forKey: .format)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        if let name = try? c.decode(String.self, forKey: .mapping) {
            guard let preset = FieldMapping.preset(named: name) else {
                throw DecodingError.dataCorruptedError(forKey: .mapping, in: c, debugDescription:
                    "unknown mapping preset \(name.debugDescription); known: \(FieldMapping.presetNames.joined(separator: ", "))")
            }
            mapping = preset
            mappingPreset = name
        } else {
            mapping = try c.decodeIfPresent(FieldMapping.self, forKey: .mapping) ?? .inspect
            mappingPreset = nil
        }
        if let limit, limit < 1 {
            throw DecodingError.dataCorruptedError(forKey: .limit, in: c, debugDescription: "limit must be at least 1")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(format, forKey: .format)
        try c.encodeIfPresent(limit, forKey: .limit)
        if let mappingPreset { try c.encode(mappingPreset, forKey: .mapping) } else { try c.encode(mapping, forKey: .mapping) }
    }
}

public struct SolverSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case generate, multipleChoice = "multiple_choice" }
    public var type: Kind
    /// Multiple choice: shuffle the choices per sample with this seed (recorded in the run).
    public var shuffleSeed: UInt64?

    public init(type: Kind, shuffleSeed: UInt64? = nil) {
        self.type = type
        self.shuffleSeed = shuffleSeed
    }

    enum CodingKeys: String, CodingKey {
        case type
        case shuffleSeed = "shuffle_seed"
    }
}

public struct ScorerSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case choice, exact, includes, matchRegex = "match_regex", flag, refusal, exploit
    }
    public var type: Kind
    /// `match_regex` and `flag`: the pattern (first capture group, if any, is the answer).
    public var pattern: String?
    public var caseSensitive: Bool

    public init(type: Kind, pattern: String? = nil, caseSensitive: Bool = false) {
        self.type = type
        self.pattern = pattern
        self.caseSensitive = caseSensitive
    }

    enum CodingKeys: String, CodingKey {
        case type, pattern
        case caseSensitive = "case_sensitive"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(Kind.self, forKey: .type)
        pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
        caseSensitive = try c.decodeIfPresent(Bool.self, forKey: .caseSensitive) ?? false
        if type == .matchRegex, pattern == nil {
            throw DecodingError.keyNotFound(CodingKeys.pattern, .init(codingPath: c.codingPath, debugDescription: "match_regex needs a pattern"))
        }
        if let pattern {
            do { _ = try NSRegularExpression(pattern: pattern) } catch {
                throw DecodingError.dataCorruptedError(forKey: .pattern, in: c, debugDescription: "invalid regular expression \(pattern.debugDescription)")
            }
        }
    }
}

public enum MetricKind: String, Sendable, Codable, CaseIterable {
    case accuracy, mean, stderr, wilson, bootstrap, clusteredStderr = "clustered_stderr", passAtK = "pass_at_k", breakdown
}

public struct MetricSpec: Sendable, Equatable, Codable {
    public var kind: MetricKind
    /// `clustered_stderr` and `breakdown`: the metadata key to group by.
    public var key: String?
    /// `pass_at_k`: k (at most the number of epochs).
    public var k: Int?

    public init(kind: MetricKind, key: String? = nil, k: Int? = nil) {
        self.kind = kind
        self.key = key
        self.k = k
    }

    /// Accepts either `"wilson"` or `{"kind": "pass_at_k", "k": 3}`.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let kind = MetricKind(rawValue: name) else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "unknown metric \(name.debugDescription)")
            }
            self.init(kind: kind)
        } else {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(kind: try c.decode(MetricKind.self, forKey: .kind), key: try c.decodeIfPresent(String.self, forKey: .key),
                      k: try c.decodeIfPresent(Int.self, forKey: .k))
            if (kind == .clusteredStderr || kind == .breakdown), key == nil {
                throw DecodingError.keyNotFound(CodingKeys.key, .init(codingPath: c.codingPath, debugDescription: "\(kind.rawValue) needs a metadata key"))
            }
            if kind == .passAtK, (k ?? 0) < 1 {
                throw DecodingError.dataCorruptedError(forKey: .k, in: c, debugDescription: "pass_at_k needs k >= 1")
            }
        }
    }

    enum CodingKeys: String, CodingKey { case kind, key, k }
}

public struct Suite: Sendable, Equatable, Codable {
    public var name: String
    public var version: String
    public var datasets: [DatasetSpec]
    public var solver: SolverSpec
    public var scorer: ScorerSpec
    public var epochs: Int
    public var metrics: [MetricSpec]
    public var generation: GenerationSettings

    public init(name: String, version: String, datasets: [DatasetSpec], solver: SolverSpec, scorer: ScorerSpec,
                epochs: Int = 1, metrics: [MetricSpec] = [], generation: GenerationSettings = GenerationSettings()) {
        self.name = name
        self.version = version
        self.datasets = datasets
        self.solver = solver
        self.scorer = scorer
        self.epochs = epochs
        self.metrics = metrics
        self.generation = generation
    }

    enum CodingKeys: String, CodingKey { case name, version, datasets, solver, scorer, epochs, metrics, generation }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        datasets = try c.decode([DatasetSpec].self, forKey: .datasets)
        solver = try c.decodeIfPresent(SolverSpec.self, forKey: .solver) ?? SolverSpec(type: .generate)
        scorer = try c.decode(ScorerSpec.self, forKey: .scorer)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? 1
        metrics = try c.decodeIfPresent([MetricSpec].self, forKey: .metrics) ?? []
        generation = try c.decodeIfPresent(GenerationSettings.self, forKey: .generation) ?? GenerationSettings()
        if name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "name must not be empty")
        }
        if version.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "version must not be empty")
        }
        if datasets.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .datasets, in: c, debugDescription: "a suite needs at least one dataset")
        }
        if epochs < 1 { throw DecodingError.dataCorruptedError(forKey: .epochs, in: c, debugDescription: "epochs must be at least 1") }
        for (index, metric) in metrics.enumerated() where metric.kind == .passAtK && (metric.k ?? 1) > epochs {
            throw DecodingError.dataCorruptedError(forKey: .metrics, in: c, debugDescription:
                "metrics[\(index)]: pass_at_k k=\(metric.k ?? 1) exceeds epochs=\(epochs)")
        }
        if solver.type == .multipleChoice, scorer.type != .choice {
            throw DecodingError.dataCorruptedError(forKey: .scorer, in: c, debugDescription: "the multiple_choice solver needs the choice scorer")
        }
    }

    /// Decodes a suite; errors carry the JSON path of the offending field.
    public static func decode(_ data: Data) throws -> Suite {
        do { return try JSONDecoder().decode(Suite.self, from: data) } catch { throw benchmarkError(from: error) }
    }

    /// Reads a suite file and all its datasets (relative paths resolved against the suite's folder).
    /// Sample ids are prefixed with the dataset's index when a suite has several datasets, so
    /// ids stay unique across them.
    public static func load(path: String) throws -> (suite: Suite, samples: [Sample]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw BenchmarkError.unreadable(path: path, reason: error.localizedDescription)
        }
        let suite: Suite
        do { suite = try decode(data) } catch let error as BenchmarkError {
            throw prefix(error, with: path)
        }
        let folder = (path as NSString).deletingLastPathComponent
        return (suite, try suite.loadSamples(relativeTo: folder))
    }

    /// Loads this suite's datasets; relative paths resolve against `folder`.
    public func loadSamples(relativeTo folder: String) throws -> [Sample] {
        var samples: [Sample] = []
        for (index, spec) in datasets.enumerated() {
            let resolved = spec.path.hasPrefix("/") ? spec.path : (folder as NSString).appendingPathComponent(spec.path)
            var loaded = try DatasetLoader.load(path: resolved, format: spec.format, mapping: spec.mapping)
            if let limit = spec.limit { loaded = Array(loaded.prefix(limit)) }
            if datasets.count > 1 {
                loaded = loaded.map { sample in
                    var copy = sample
                    copy.id = "\(index):\(sample.id)"
                    return copy
                }
            }
            samples += loaded
        }
        try DatasetLoader.checkUniqueIDs(samples)
        return samples
    }

    /// The same suite with every dataset path made absolute, for a run log that must be resumable
    /// from any working directory.
    public func resolvingPaths(relativeTo folder: String) -> Suite {
        var copy = self
        copy.datasets = datasets.map { spec in
            var spec = spec
            if !spec.path.hasPrefix("/") {
                spec.path = ((folder as NSString).appendingPathComponent(spec.path) as NSString).standardizingPath
            }
            return spec
        }
        return copy
    }

    private static func prefix(_ error: BenchmarkError, with path: String) -> BenchmarkError {
        switch error {
        case .invalidInput(let location, let reason): return .invalidInput(location: "\(path): \(location)", reason: reason)
        case .missingField(let location): return .missingField(location: "\(path): \(location)")
        default: return error
        }
    }
}
