// Readers for the two public prioritisation feeds: FIRST's EPSS scores (CSV with a
// `#model_version:…,score_date:…` comment line and a `cve,epss,percentile` header) and CISA's
// Known Exploited Vulnerabilities catalog (JSON). Pure: bytes in, rows or path-named errors out.
import Foundation
import Platform

public struct EPSSScore: Sendable, Equatable {
    public let cve: String
    public let epss: Double
    public let percentile: Double
}

/// Reads an EPSS CSV a line at a time; `modelVersion`/`scoreDate` come from the comment line.
public struct EPSSReader: Sendable {
    public private(set) var modelVersion = ""
    public private(set) var scoreDate = ""
    private var sawHeader = false
    public var hasHeader: Bool { sawHeader }
    public init() {}

    /// The score on line `number` (1-based), nil for the comment and header lines and blank lines.
    public mutating func read(line raw: Substring, number: Int) throws -> EPSSScore? {
        let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if line.isEmpty { return nil }
        if line.hasPrefix("#") {
            for part in line.dropFirst().split(separator: ",") {
                let pair = part.split(separator: ":", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                if pair[0] == "model_version" { modelVersion = pair[1] }
                if pair[0] == "score_date" { scoreDate = pair[1] }
            }
            return nil
        }
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if !sawHeader {
            guard fields == ["cve", "epss", "percentile"] else {
                throw DomainError.invalid(field: "line \(number)", reason: "the header must be cve,epss,percentile")
            }
            sawHeader = true
            return nil
        }
        guard fields.count == 3 else { throw DomainError.invalid(field: "line \(number)", reason: "needs 3 fields: cve,epss,percentile") }
        guard Self.isCVE(fields[0]) else { throw DomainError.invalid(field: "line \(number).cve", reason: "is not a CVE id") }
        guard let epss = Double(fields[1]), (0...1).contains(epss) else {
            throw DomainError.invalid(field: "line \(number).epss", reason: "must be a number from 0 to 1")
        }
        guard let percentile = Double(fields[2]), (0...1).contains(percentile) else {
            throw DomainError.invalid(field: "line \(number).percentile", reason: "must be a number from 0 to 1")
        }
        return EPSSScore(cve: fields[0].uppercased(), epss: epss, percentile: percentile)
    }

    static func isCVE(_ s: String) -> Bool {
        let parts = s.uppercased().split(separator: "-")
        return parts.count == 3 && parts[0] == "CVE" && parts[1].count == 4 && parts[1].allSatisfy(\.isNumber)
            && parts[2].count >= 4 && parts[2].allSatisfy(\.isNumber)
    }
}

public struct KEVEntry: Sendable, Equatable, Codable {
    public let cveID: String
    public let vendorProject: String
    public let product: String
    public let vulnerabilityName: String
    public let dateAdded: String
    public let dueDate: String
    public let knownRansomwareCampaignUse: String
}

public enum KEVCatalog {
    /// The entries of a KEV catalog document; a malformed entry is named by its JSON path.
    public static func parse(_ data: Data) throws -> (version: String, entries: [KEVEntry]) {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DomainError.invalid(field: "$", reason: "must be a JSON object (the KEV catalog)")
        }
        guard let list = root["vulnerabilities"] as? [Any] else {
            throw DomainError.invalid(field: "$.vulnerabilities", reason: "must be an array")
        }
        var entries: [KEVEntry] = []
        for (i, item) in list.enumerated() {
            guard let object = item as? [String: Any] else { throw DomainError.invalid(field: "$.vulnerabilities[\(i)]", reason: "must be an object") }
            func field(_ name: String) throws -> String {
                guard let value = object[name] as? String else {
                    throw DomainError.invalid(field: "$.vulnerabilities[\(i)].\(name)", reason: "must be a string")
                }
                return value
            }
            let cve = try field("cveID")
            guard EPSSReader.isCVE(cve) else { throw DomainError.invalid(field: "$.vulnerabilities[\(i)].cveID", reason: "is not a CVE id") }
            entries.append(KEVEntry(cveID: cve.uppercased(), vendorProject: try field("vendorProject"), product: try field("product"),
                                    vulnerabilityName: try field("vulnerabilityName"), dateAdded: try field("dateAdded"),
                                    dueDate: try field("dueDate"), knownRansomwareCampaignUse: (object["knownRansomwareCampaignUse"] as? String) ?? "Unknown"))
        }
        return ((root["catalogVersion"] as? String) ?? "", entries)
    }
}
