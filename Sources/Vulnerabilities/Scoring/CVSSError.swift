// Errors raised while reading CVSS vector strings and the CVSS v4.0 lookup tables.
// Each message names the offending metric, field or JSON path so a user can fix the input.

/// A CVSS vector string that cannot be scored, or CVSS v4.0 tables that cannot be used.
public enum CVSSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The vector string is empty.
    case emptyVector
    /// The vector does not start with a supported prefix (`CVSS:3.0/`, `CVSS:3.1/`, `CVSS:4.0/`).
    case badPrefix(found: String)
    /// A `/`-separated field is empty (for example `AV:N//AC:L` or a trailing `/`).
    case emptyField(position: Int)
    /// A field is not of the form `METRIC:VALUE`.
    case malformedField(field: String)
    /// The metric abbreviation does not exist in this CVSS version.
    case unknownMetric(metric: String, version: String)
    /// The metric exists but the value is not one of its allowed values.
    case badValue(metric: String, value: String, allowed: [String])
    /// The same metric appears twice.
    case duplicateMetric(metric: String)
    /// One or more mandatory base metrics are absent.
    case missingMandatoryMetrics([String])
    /// A CVSS v4.0 table file could not be read.
    case tableUnreadable(path: String, reason: String)
    /// A CVSS v4.0 table file is not shaped as expected; `path` is a JSON path into it.
    case tableMalformed(file: String, path: String, reason: String)
    /// The tables lack an entry the scoring method needs (for example a MacroVector score).
    case tableMissingEntry(table: String, key: String)

    public var description: String {
        switch self {
        case .emptyVector:
            return "CVSS vector is empty"
        case .badPrefix(let found):
            return "CVSS vector must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/ (found \"\(found)\")"
        case .emptyField(let position):
            return "CVSS vector has an empty field at position \(position)"
        case .malformedField(let field):
            return "CVSS vector field \"\(field)\" is not of the form METRIC:VALUE"
        case .unknownMetric(let metric, let version):
            return "unknown CVSS \(version) metric \"\(metric)\""
        case .badValue(let metric, let value, let allowed):
            return "CVSS metric \(metric) has invalid value \"\(value)\" (allowed: \(allowed.joined(separator: ", ")))"
        case .duplicateMetric(let metric):
            return "CVSS metric \(metric) appears more than once"
        case .missingMandatoryMetrics(let metrics):
            return "CVSS vector lacks mandatory metric(s) \(metrics.joined(separator: ", "))"
        case .tableUnreadable(let path, let reason):
            return "cannot read CVSS v4.0 table \(path): \(reason)"
        case .tableMalformed(let file, let path, let reason):
            return "CVSS v4.0 table \(file) is malformed at \(path): \(reason)"
        case .tableMissingEntry(let table, let key):
            return "CVSS v4.0 table \(table) has no entry \(key)"
        }
    }
}
