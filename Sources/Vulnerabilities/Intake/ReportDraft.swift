// A vulnerability report as intake understands it, whatever format it came in (our JSON, a SARIF
// result, an OSV record, a CVE JSON 5 record): the fields deduplication and triage look at, plus
// the original record as compact JSON. Parsing is pure; storing is `VulnerabilityStore`'s job.
import Foundation
import Platform

public enum ReportFormat: String, Sendable, Codable, CaseIterable {
    case json, sarif, osv, cve5 = "cve-json5"
}

public struct AffectedPackage: Sendable, Equatable, Codable {
    public var ecosystem: String
    public var name: String
    public var purl: String?
    /// Affected versions as text, e.g. `introduced 4.0, fixed 4.3` or `>=1.0,<1.2`.
    public var ranges: String

    public init(ecosystem: String, name: String, purl: String? = nil, ranges: String = "") {
        self.ecosystem = ecosystem
        self.name = name
        self.purl = purl
        self.ranges = ranges
    }

    /// `ecosystem/name`, lowercased: how packages are compared.
    public var key: String { "\(ecosystem.lowercased())/\(name.lowercased())" }
}

/// A crash as a fuzzer or sanitizer reports it: a type and the stack, innermost frame first.
public struct CrashReport: Sendable, Equatable, Codable {
    public var type: String
    public var frames: [String]
    public init(type: String, frames: [String]) {
        self.type = type
        self.frames = frames
    }
}

public struct ReportDraft: Sendable, Equatable {
    public var format: ReportFormat
    /// Identifies the submission for idempotency: the same key from the same organisation is one report.
    public var submitterKey: String
    public var title: String
    public var details: String
    /// Identifiers the record is known by (its own id first for OSV and CVE), uppercased.
    public var aliases: [String]
    public var packages: [AffectedPackage]
    /// CWE identifiers, `CWE-79` form.
    public var weaknesses: [String]
    /// Source location (`path:line`) or function, when the report names one.
    public var location: String?
    /// SARIF fingerprints as `name=value`, both `fingerprints` and `partialFingerprints`.
    public var fingerprints: [String]
    public var crash: CrashReport?
    public var cvssVectors: [String]
    /// The record as received, compact JSON.
    public var raw: String

    public init(format: ReportFormat, submitterKey: String, title: String, details: String = "", aliases: [String] = [],
                packages: [AffectedPackage] = [], weaknesses: [String] = [], location: String? = nil,
                fingerprints: [String] = [], crash: CrashReport? = nil, cvssVectors: [String] = [], raw: String = "{}") {
        self.format = format
        self.submitterKey = submitterKey
        self.title = title
        self.details = details
        self.aliases = aliases
        self.packages = packages
        self.weaknesses = weaknesses
        self.location = location
        self.fingerprints = fingerprints
        self.crash = crash
        self.cvssVectors = cvssVectors
        self.raw = raw
    }
}

/// A file attached to a report as evidence (a proof of concept, a reproducer); sealed at rest.
public struct EvidenceFile: Sendable, Equatable {
    public var name: String
    public var content: [UInt8]
    /// Whether it reproduces the issue (required for validation).
    public var isReproducer: Bool
    public init(name: String, content: [UInt8], isReproducer: Bool) {
        self.name = name
        self.content = content
        self.isReproducer = isReproducer
    }
}

/// A report submitted as our own JSON: the draft plus its evidence and sharing wishes.
public struct ReportSubmission: Sendable, Equatable {
    public var draft: ReportDraft
    public var evidence: [EvidenceFile]
    public var tlp: TLP
    public var shareOrgs: [String]
}
