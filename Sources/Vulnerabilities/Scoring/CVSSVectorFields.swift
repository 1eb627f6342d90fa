// Splits a CVSS vector string into validated METRIC:VALUE pairs; shared by the v3.x and v4.0 parsers
// so both reject malformed input with the same messages.

/// One metric a CVSS version defines: its abbreviation and allowed values, in specification order.
struct CVSSMetricDefinition: Sendable {
    let abbreviation: String
    let values: [String]
    let mandatory: Bool
}

enum CVSSVectorFields {
    /// Parses the part after the prefix (e.g. `AV:N/AC:L/...`). Metrics may appear in any order,
    /// as the RedHat and FIRST calculators accept, but each at most once.
    static func parse(
        body: Substring, definitions: [CVSSMetricDefinition], version: String
    ) throws(CVSSError) -> [String: String] {
        var allowed: [String: [String]] = [:]
        for definition in definitions { allowed[definition.abbreviation] = definition.values }
        var metrics: [String: String] = [:]
        let fields = body.split(separator: "/", omittingEmptySubsequences: false)
        for (index, field) in fields.enumerated() {
            if field.isEmpty { throw .emptyField(position: index + 1) }
            let parts = field.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw .malformedField(field: String(field)) }
            let metric = String(parts[0])
            let value = String(parts[1])
            guard let values = allowed[metric] else { throw .unknownMetric(metric: metric, version: version) }
            guard values.contains(value) else { throw .badValue(metric: metric, value: value, allowed: values) }
            guard metrics[metric] == nil else { throw .duplicateMetric(metric: metric) }
            metrics[metric] = value
        }
        let missing = definitions.filter { $0.mandatory && metrics[$0.abbreviation] == nil }.map(\.abbreviation)
        if !missing.isEmpty { throw .missingMandatoryMetrics(missing) }
        return metrics
    }

    /// The vector in specification order with undefined (`X`) metrics left out.
    static func canonical(prefix: String, metrics: [String: String], definitions: [CVSSMetricDefinition]) -> String {
        let parts = definitions.compactMap { definition -> String? in
            guard let value = metrics[definition.abbreviation], value != "X" else { return nil }
            return "\(definition.abbreviation):\(value)"
        }
        return prefix + parts.joined(separator: "/")
    }
}

/// Qualitative severity rating shared by CVSS v3.x and v4.0 (None, Low, Medium, High, Critical).
public enum CVSSSeverity: String, Sendable, Codable, CaseIterable {
    case none = "None", low = "Low", medium = "Medium", high = "High", critical = "Critical"

    public init(score: Double) {
        // Scores are already rounded to one decimal, so the bands are the spec's 0.1-3.9, 4.0-6.9, ...
        switch score {
        case ..<0.05: self = .none
        case ..<3.95: self = .low
        case ..<6.95: self = .medium
        case ..<8.95: self = .high
        default: self = .critical
        }
    }
}
