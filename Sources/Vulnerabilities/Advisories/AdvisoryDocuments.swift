// Advisory documents generated from a case: a CSAF 2.0 security advisory (profile
// `csaf_security_advisory`) and an OSV record. Pure functions of an `AdvisoryContent` — what the
// publishing coordinator may see of the case — so the store decides what goes in and these only
// decide how it is written. Validated in CI by the `csaf` validator (schema + mandatory tests
// 6.1.1–6.1.33) and the OSV JSON schema (`Tests/system/vulns/run.py`).
import Foundation
import Platform

/// Who publishes and how identifiers are formed; stored in `vuln_settings`, changed by an administrator.
public struct AdvisorySettings: Sendable, Equatable {
    /// CSAF `document.publisher.name`.
    public var publisherName: String
    /// CSAF `document.publisher.namespace`: a URI of the publishing organisation.
    public var publisherNamespace: String
    /// Tracking ids are `<trackingPrefix>-<year>-<12 hex digits of the case>`.
    public var trackingPrefix: String
    /// OSV ids are `<osvPrefix>-<year>-<same digits>`. The OSV schema only accepts registered home
    /// database prefixes; `OSV` is the generic one, so the default is `OSV-CH`.
    public var osvPrefix: String
    /// The threat-sharing collection advisories are published into (STIX); nil: not published there.
    public var feedCollection: String?

    public init(publisherName: String = "Clearinghouse", publisherNamespace: String = "https://clearinghouse.invalid",
                trackingPrefix: String = "CH", osvPrefix: String = "OSV-CH", feedCollection: String? = nil) {
        self.publisherName = publisherName
        self.publisherNamespace = publisherNamespace
        self.trackingPrefix = trackingPrefix
        self.osvPrefix = osvPrefix
        self.feedCollection = feedCollection
    }
}

/// One entry of an advisory's revision history.
public struct AdvisoryRevision: Sendable, Equatable {
    public let version: Int
    public let date: Date
    public let summary: String
}

/// A package the advisory names, with its affected versions as reports gave them.
public struct AdvisoryProduct: Sendable, Equatable {
    public let ecosystem: String
    public let name: String
    public let purl: String?
    /// `introduced 1.0, fixed 1.2` (OSV events) or `>=1.0,<1.2` (constraints); may be empty.
    public let ranges: String
}

/// Everything one version of an advisory is generated from.
public struct AdvisoryContent: Sendable {
    public var caseId: String
    public var trackingId: String
    public var osvId: String
    public var title: String
    public var summary: String
    public var details: String
    public var status: String        // CSAF tracking.status: interim or final
    public var tlp: TLP
    public var aliases: [String]     // CVE, GHSA, … ids of the case's reports
    public var weaknesses: [String]  // CWE-n
    public var cvssVectors: [String]
    public var products: [AdvisoryProduct]
    public var remediation: String
    public var fixed: Bool
    public var references: [String]
    public var revisions: [AdvisoryRevision]  // oldest first; the last is this version
    public var settings: AdvisorySettings
    public var generatorVersion: String

    public var version: Int { revisions.last?.version ?? 1 }
    public var initialRelease: Date { revisions.first?.date ?? Date(timeIntervalSince1970: 0) }
    public var currentRelease: Date { revisions.last?.date ?? initialRelease }
    public var cves: [String] { aliases.filter { $0.hasPrefix("CVE-") } }
}

public enum AdvisoryDocuments {
    // MARK: CSAF 2.0

    public static func csaf(_ c: AdvisoryContent) -> JSONValue {
        // A security advisory needs products (6.1.27): when no report names a package, one product
        // stands for "what the case is about", named as such.
        let productIds = (0..<max(1, c.products.count)).map { "CH-PRODUCT-\($0 + 1)" }
        var document: [String: JSONValue] = [
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "lang": "en",
            "title": .string(c.title),
            "publisher": ["category": "coordinator", "name": .string(c.settings.publisherName),
                          "namespace": .string(c.settings.publisherNamespace)],
            "distribution": ["tlp": ["label": .string(csafTLP(c.tlp)), "url": "https://www.first.org/tlp/"],
                             "text": .string("Shared as \(c.tlp.label) (TLP 2.0); CSAF 2.0 carries TLP 1.0 labels.")],
            "notes": [["category": "summary", "title": "Summary", "text": .string(c.summary)]],
            "tracking": [
                "id": .string(c.trackingId),
                "status": .string(c.status),
                "version": .string(String(c.version)),
                "initial_release_date": .string(c.initialRelease.iso8601),
                "current_release_date": .string(c.currentRelease.iso8601),
                "revision_history": .array(c.revisions.map {
                    ["number": .string(String($0.version)), "date": .string($0.date.iso8601), "summary": .string($0.summary)]
                }),
                "generator": ["date": .string(c.currentRelease.iso8601),
                              "engine": ["name": "Clearinghouse", "version": .string(c.generatorVersion)]],
            ],
        ]
        // The security advisory profile needs an external reference (6.1.27.2): the OSV form is one.
        let base = c.settings.publisherNamespace.trimmingSlash + "/api/v1/vulns/advisories/\(c.trackingId)"
        document["references"] = .array(
            [["category": "self", "summary": "This advisory (CSAF)", "url": .string(base + "/csaf")],
             ["category": "external", "summary": "This advisory as an OSV record", "url": .string(base + "/osv")]]
                + c.references.map { ["category": "external", "summary": "Reference", "url": .string($0)] })

        // Product tree: vendor (the ecosystem) → product name → version range, each leaf a product.
        var byEcosystem: [String: [(Int, AdvisoryProduct)]] = [:]
        for (i, p) in c.products.enumerated() { byEcosystem[p.ecosystem, default: []].append((i, p)) }
        let branches: [JSONValue] = byEcosystem.keys.sorted().map { ecosystem in
            let names: [JSONValue] = byEcosystem[ecosystem]!.map { i, p in
                var product: [String: JSONValue] = ["product_id": .string(productIds[i]),
                                                    "name": .string("\(p.name) \(rangeText(p))")]
                if let purl = p.purl, purl.hasPrefix("pkg:"), !purl.contains("@") {
                    product["product_identification_helper"] = ["purl": .string(purl)]
                }
                return ["category": "product_name", "name": .string(p.name),
                        "branches": [["category": "product_version_range", "name": .string(vers(p)), "product": .object(product)]]]
            }
            return ["category": "vendor", "name": .string(ecosystem), "branches": .array(names)]
        }

        var vulnerability: [String: JSONValue] = [
            "title": .string(c.title),
            "notes": [["category": "description", "title": "Details", "text": .string(c.details.isEmpty ? c.summary : c.details)]],
        ]
        if let cve = c.cves.first { vulnerability["cve"] = .string(cve) }
        let otherIds = c.aliases.filter { !$0.hasPrefix("CVE-") } + c.cves.dropFirst()
        vulnerability["ids"] = .array(([c.trackingId] + otherIds).map { id in
            ["system_name": .string(id == c.trackingId ? c.settings.publisherName : idSystem(id)), "text": .string(id)]
        })
        if let cwe = c.weaknesses.lazy.compactMap({ id in CWENames.name(id).map { (id, $0) } }).first {
            vulnerability["cwe"] = ["id": .string(cwe.0), "name": .string(cwe.1)]
        }
        do {
            let ids = JSONValue.array(productIds.map { .string($0) })
            vulnerability["product_status"] = .object([c.fixed ? "fixed" : "known_affected": ids])
            let category = c.fixed ? "vendor_fix" : (c.remediation.isEmpty ? "none_available" : "mitigation")
            let details = c.remediation.isEmpty ? (c.fixed ? "Upgrade to a fixed version." : "No remediation is available yet.") : c.remediation
            vulnerability["remediations"] = [["category": .string(category), "details": .string(details), "product_ids": ids]]
            if let v3 = c.cvssVectors.lazy.compactMap(cvssV3).first {
                vulnerability["scores"] = [["cvss_v3": v3, "products": ids]]
            }
        }
        var root: [String: JSONValue] = ["document": .object(document), "vulnerabilities": [.object(vulnerability)]]
        root["product_tree"] = branches.isEmpty
            ? ["full_product_names": [["product_id": .string(productIds[0]),
                                       "name": .string("The product affected by \(c.title) (no package named in the reports)")]]]
            : ["branches": .array(branches)]
        return .object(root)
    }

    /// CSAF 2.0 takes TLP 1.0 labels: CLEAR is WHITE, AMBER+STRICT is AMBER (the text says which).
    static func csafTLP(_ tlp: TLP) -> String {
        switch tlp {
        case .clear: "WHITE"
        case .green: "GREEN"
        case .amber, .amberStrict: "AMBER"
        case .red: "RED"
        }
    }

    /// The CSAF `cvss_v3` object of a 3.x vector (base score and severity from our calculator).
    static func cvssV3(_ vector: String) -> JSONValue? {
        guard vector.hasPrefix("CVSS:3."), let parsed = try? CVSS31Vector(parsing: vector) else { return nil }
        let base = parsed.scores().base
        return ["version": .string(parsed.version.rawValue), "vectorString": .string(parsed.vectorString),
                "baseScore": .double(base), "baseSeverity": .string(CVSSSeverity(score: base).rawValue.uppercased())]
    }

    static func idSystem(_ id: String) -> String {
        if id.hasPrefix("GHSA-") { return "GitHub Security Advisory" }
        if id.hasPrefix("RUSTSEC-") { return "RustSec" }
        if id.hasPrefix("PYSEC-") { return "PyPA" }
        if id.hasPrefix("CVE-") { return "CVE" }
        return "Alias"
    }

    // MARK: Version ranges

    /// One event of an affected range: `introduced`, `fixed`, `last_affected` or `limit` and a version.
    public struct RangeEvent: Sendable, Equatable {
        public let kind: String
        public let version: String
    }

    /// Reads the range text reports carry: OSV events (`introduced 1.0, fixed 1.2`) or version
    /// constraints (`>=1.0,<1.2`, `<= 2.0`, `= 1.5`). Nil when the text says nothing we can read.
    public static func events(_ text: String) -> [RangeEvent]? {
        var events: [RangeEvent] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "|" }) {
            let token = part.trimmingCharacters(in: .whitespaces)
            if token.isEmpty { continue }
            let words = token.split(separator: " ", maxSplits: 1).map(String.init)
            if words.count == 2, ["introduced", "fixed", "last_affected", "limit"].contains(words[0]) {
                // Commit hashes belong to GIT ranges, not to the package's versions.
                if words[1].count == 40, words[1].allSatisfy(\.isHexDigit) { continue }
                events.append(RangeEvent(kind: words[0], version: words[1].trimmingCharacters(in: .whitespaces)))
                continue
            }
            let operators: [(String, String)] = [(">=", "introduced"), ("<=", "last_affected"), ("<", "fixed"), ("==", "exact"), ("=", "exact")]
            guard let (op, kind) = operators.first(where: { token.hasPrefix($0.0) }) else { return nil }
            let version = token.dropFirst(op.count).trimmingCharacters(in: .whitespaces)
            guard !version.isEmpty, !version.contains(" ") else { return nil }
            if kind == "exact" {
                events += [RangeEvent(kind: "introduced", version: version), RangeEvent(kind: "last_affected", version: version)]
            } else {
                events.append(RangeEvent(kind: kind, version: version))
            }
        }
        guard !events.isEmpty else { return nil }
        if !events.contains(where: { $0.kind == "introduced" }) { events.insert(RangeEvent(kind: "introduced", version: "0"), at: 0) }
        return events
    }

    /// The range as CSAF's `vers` string (`vers:pypi/>=1.0|<1.2`), or `vers:all/*` when unknown.
    static func vers(_ p: AdvisoryProduct) -> String {
        let scheme = p.ecosystem.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
        guard let events = events(p.ranges) else { return "vers:\(scheme.isEmpty ? "generic" : scheme)/*" }
        var constraints: [String] = []
        for e in events {
            switch e.kind {
            case "introduced": if e.version != "0" { constraints.append(">=\(e.version)") }
            case "fixed", "limit": constraints.append("<\(e.version)")
            default: constraints.append("<=\(e.version)")
            }
        }
        return "vers:\(scheme.isEmpty ? "generic" : scheme)/" + (constraints.isEmpty ? "*" : constraints.joined(separator: "|"))
    }

    static func rangeText(_ p: AdvisoryProduct) -> String {
        p.ranges.isEmpty ? "(all versions named in the reports)" : p.ranges
    }

    // MARK: OSV

    public static func osv(_ c: AdvisoryContent) -> JSONValue {
        var record: [String: JSONValue] = [
            "schema_version": "1.6.0",
            "id": .string(c.osvId),
            "modified": .string(c.currentRelease.iso8601),
            "published": .string(c.initialRelease.iso8601),
            "aliases": .array(c.aliases.map { .string($0) }),
            "related": .array([]),
            "summary": .string(String(c.summary.prefix(120))),
            "details": .string(c.details.isEmpty ? c.summary : c.details),
        ]
        record["affected"] = .array(c.products.map { p in
            var package: [String: JSONValue] = ["ecosystem": .string(p.ecosystem), "name": .string(p.name)]
            if let purl = p.purl, purl.hasPrefix("pkg:") { package["purl"] = .string(purl) }
            var entry: [String: JSONValue] = ["package": .object(package)]
            if let events = events(p.ranges) {
                entry["ranges"] = [["type": "ECOSYSTEM", "events": .array(events.map { [$0.kind: .string($0.version)] })]]
            } else {
                entry["database_specific"] = ["affected_text": .string(p.ranges)]
            }
            return .object(entry)
        })
        record["references"] = .array(
            [JSONValue.object(["type": "ADVISORY", "url": .string(c.settings.publisherNamespace.trimmingSlash + "/api/v1/vulns/advisories/\(c.trackingId)/csaf")])]
                + c.references.map { ["type": "WEB", "url": .string($0)] })
        let severity: [JSONValue] = c.cvssVectors.compactMap { v in
            if v.hasPrefix("CVSS:3.") { return ["type": "CVSS_V3", "score": .string(v)] }
            if v.hasPrefix("CVSS:4.0/") { return ["type": "CVSS_V4", "score": .string(v)] }
            return nil
        }
        if !severity.isEmpty { record["severity"] = .array(severity) }
        record["database_specific"] = [
            "clearinghouse_case": .string(c.caseId), "csaf_tracking_id": .string(c.trackingId),
            "version": .int(c.version), "tlp": .string(c.tlp.label), "cwe_ids": .array(c.weaknesses.map { .string($0) }),
        ]
        return .object(record)
    }
}

extension String {
    var trimmingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
