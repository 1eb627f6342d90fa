// Turns each intake format into a ReportDraft. Standards' own extension members are tolerated;
// our JSON format refuses unknown fields. Every error names the JSON path of the bad field.
import Foundation
import Platform

public enum ReportParsers {
    // MARK: Our JSON format

    static let submissionFields: Set<String> = [
        "submitter_key", "title", "details", "aliases", "package", "affected", "weakness", "location",
        "crash", "cvss", "tlp", "share_orgs", "evidence",
    ]

    /// Parses `{"submitter_key", "title", "details", "aliases", "package": {ecosystem, name, purl},
    /// "affected", "weakness", "location", "crash": {type, frames}, "cvss", "tlp", "share_orgs",
    /// "evidence": [{name, content_base64, reproducer}]}`. `fallbackKey` (an Idempotency-Key
    /// header) is used when the body has no `submitter_key`.
    public static func submission(_ document: JSONDocument, fallbackKey: String? = nil) throws(DomainError) -> ReportSubmission {
        let f = try JSONFields(document, path: "$")
        try f.onlyKnown(submissionFields)
        let title = try f.string("title", required: true, maxLength: 500)!
        var packages: [AffectedPackage] = []
        if let p = try f.object("package") {
            try p.onlyKnown(["ecosystem", "name", "purl"])
            packages.append(AffectedPackage(
                ecosystem: try p.string("ecosystem", required: true, maxLength: 100)!,
                name: try p.string("name", required: true, maxLength: 500)!,
                purl: try p.string("purl", maxLength: 1000), ranges: try f.string("affected", maxLength: 1000) ?? ""))
        } else if try f.string("affected") != nil {
            throw .invalid(field: "$.package", reason: "is required when affected is given")
        }
        var weaknesses: [String] = []
        if let w = try f.string("weakness", maxLength: 20) {
            guard let cwe = normaliseCWE(w) else { throw .invalid(field: "$.weakness", reason: "must be a CWE identifier such as CWE-79") }
            weaknesses.append(cwe)
        }
        var crash: CrashReport?
        if let c = try f.object("crash") {
            try c.onlyKnown(["type", "frames"])
            crash = CrashReport(type: try c.string("type", required: true, maxLength: 500)!, frames: try c.strings("frames"))
        }
        var vectors: [String] = []
        if let cvss = try f.string("cvss", maxLength: 300) {
            do { _ = try CVSS.score(parsing: cvss, tables: .builtin) } catch {
                throw .invalid(field: "$.cvss", reason: error.description)
            }
            vectors.append(cvss)
        }
        var aliases: [String] = []
        for (i, alias) in try f.strings("aliases").enumerated() {
            guard let normalised = normaliseAlias(alias) else { throw .invalid(field: "$.aliases[\(i)]", reason: "is not an identifier") }
            aliases.append(normalised)
        }
        let tlp: TLP
        if let name = try f.string("tlp", maxLength: 20) {
            guard let level = TLP(name: name) else { throw .invalid(field: "$.tlp", reason: "must be clear, green, amber, amber+strict or red") }
            tlp = level
        } else {
            tlp = .amber
        }
        var evidence: [EvidenceFile] = []
        for (i, item) in try f.array("evidence").enumerated() {
            let e = try JSONFields(item, path: "$.evidence[\(i)]")
            try e.onlyKnown(["name", "content_base64", "reproducer"])
            let name = try e.string("name", required: true, maxLength: 200)!
            let encoded = try e.string("content_base64", required: true, maxLength: 14_000_000)!
            guard let bytes = Data(base64Encoded: encoded) else { throw .invalid(field: e.at("content_base64"), reason: "must be base64") }
            evidence.append(EvidenceFile(name: name, content: Array(bytes), isReproducer: try e.bool("reproducer") ?? false))
        }
        let details = try f.string("details") ?? ""
        let location = try f.string("location", maxLength: 1000)
        let key = try f.string("submitter_key", maxLength: 200) ?? fallbackKey
            ?? "json:" + Secrets.sha256Hex(document.compactText)
        // Evidence bytes are sealed apart; the stored original leaves them out.
        var raw = document.object ?? [:]
        raw["evidence"] = nil
        let draft = ReportDraft(
            format: .json, submitterKey: key, title: title, details: details, aliases: aliases, packages: packages,
            weaknesses: weaknesses, location: location, crash: crash, cvssVectors: vectors,
            raw: JSONDocument.object(raw).compactText)
        return ReportSubmission(draft: draft, evidence: evidence, tlp: tlp, shareOrgs: try f.strings("share_orgs"))
    }

    // MARK: SARIF 2.1.0 results

    /// One SARIF result. Its key is the tool plus its fingerprints (else partial fingerprints,
    /// else rule, location and message), so a log uploaded twice maps onto the same reports.
    public static func sarifResult(_ item: SARIFResultItem) throws(DomainError) -> ReportDraft {
        let f = try JSONFields(item.result, path: item.path)
        let tool = item.toolName ?? "unknown tool"
        let ruleId = try f.string("ruleId", maxLength: 500)
        guard let message = try f.object("message", required: true) else { throw .invalid(field: f.at("message"), reason: "is required") }
        let plain = try message.string("text", maxLength: 100_000)
        let markdown = try message.string("markdown", maxLength: 100_000)
        guard let text = plain ?? markdown else {
            throw .invalid(field: message.at("text"), reason: "is required")
        }
        var location: String?
        var function: String?
        if let first = try f.array("locations").first {
            let l = try JSONFields(first, path: f.at("locations") + "[0]")
            if let physical = try l.object("physicalLocation") {
                let uri = try physical.object("artifactLocation")?.string("uri", maxLength: 2000)
                let line = try physical.object("region")?.value["startLine"]?.int
                location = uri.map { u in line.map { "\(u):\($0)" } ?? u }
            }
            function = try l.array("logicalLocations").first?["fullyQualifiedName"]?.string
        }
        var fingerprints: [String] = []
        var partials: [String] = []
        for (member, target) in [("fingerprints", 0), ("partialFingerprints", 1)] {
            guard let dict = try f.object(member) else { continue }
            for (name, value) in dict.value.object ?? [:] {
                guard let v = value.string else { throw .invalid(field: dict.at(name), reason: "must be a string") }
                if target == 0 { fingerprints.append("\(name)=\(v)") } else { partials.append("\(name)=\(v)") }
            }
        }
        fingerprints.sort()
        partials.sort()
        var frames: [String] = []
        if let stack = try f.array("stacks").first {
            let s = try JSONFields(stack, path: f.at("stacks") + "[0]")
            for frame in try s.array("frames") {
                let loc = frame["location"]
                if let name = loc?["logicalLocations"]?[0]?["fullyQualifiedName"]?.string {
                    frames.append(name)
                } else if let text = loc?["message"]?["text"]?.string {
                    frames.append(text)
                }
            }
        }
        var weaknesses: [String] = []
        let tags = (item.result["properties"]?["tags"]?.array ?? []).compactMap(\.string)
        for candidate in tags + [ruleId ?? ""] {
            if let cwe = normaliseCWE(candidate), !weaknesses.contains(cwe) { weaknesses.append(cwe) }
        }
        let identity: String
        if !fingerprints.isEmpty {
            identity = "fp:" + fingerprints.joined(separator: "|")
        } else if !partials.isEmpty {
            identity = "pfp:" + partials.joined(separator: "|")
        } else {
            identity = "h:" + Secrets.sha256Hex([ruleId ?? "", location ?? "", function ?? "", text].joined(separator: "\u{1F}"))
        }
        let title = [ruleId, String(text.prefix(200))].compactMap { $0 }.joined(separator: ": ")
        return ReportDraft(
            format: .sarif, submitterKey: "sarif:\(tool):\(identity)", title: title, details: text,
            weaknesses: weaknesses, location: location ?? function,
            fingerprints: (fingerprints + partials).map { "\(tool)/\($0)" },
            crash: frames.isEmpty ? nil : CrashReport(type: ruleId ?? "crash", frames: frames),
            raw: item.result.compactText)
    }

    // MARK: OSV

    public static func osv(_ document: JSONDocument, path: String = "$") throws(DomainError) -> ReportDraft {
        let f = try JSONFields(document, path: path)
        let id = try f.string("id", required: true, maxLength: 200)!
        let modified = try f.string("modified", required: true, maxLength: 40)!
        guard Date.parseISO8601(modified) != nil else { throw .invalid(field: f.at("modified"), reason: "must be an RFC 3339 time") }
        var aliases = [id.uppercased()]
        for (i, alias) in try f.strings("aliases").enumerated() {
            guard let normalised = normaliseAlias(alias) else { throw .invalid(field: "\(f.at("aliases"))[\(i)]", reason: "is not an identifier") }
            if !aliases.contains(normalised) { aliases.append(normalised) }
        }
        var packages: [AffectedPackage] = []
        for (i, entry) in try f.array("affected").enumerated() {
            let a = try JSONFields(entry, path: "\(f.at("affected"))[\(i)]")
            guard let p = try a.object("package") else { continue }
            var ranges: [String] = []
            for (j, range) in try a.array("ranges").enumerated() {
                let r = try JSONFields(range, path: "\(a.at("ranges"))[\(j)]")
                let type = try r.string("type", required: true)!
                guard type != "GIT" else { continue }
                for event in try r.array("events", required: true) {
                    for (k, v) in (event.object ?? [:]).sorted(by: { $0.key < $1.key }) { ranges.append("\(k) \(v.string ?? "")") }
                }
            }
            packages.append(AffectedPackage(
                ecosystem: try p.string("ecosystem", required: true, maxLength: 100)!,
                name: try p.string("name", required: true, maxLength: 500)!,
                purl: try p.string("purl", maxLength: 1000), ranges: ranges.joined(separator: ", ")))
        }
        var vectors: [String] = []
        for entry in try f.array("severity") {
            if let score = entry["score"]?.string, score.hasPrefix("CVSS:") { vectors.append(score) }
        }
        let cwes = (document["database_specific"]?["cwe_ids"]?.array ?? []).compactMap { $0.string.flatMap(normaliseCWE) }
        let summary = try f.string("summary", maxLength: 1000)
        let details = try f.string("details") ?? ""
        return ReportDraft(
            format: .osv, submitterKey: "osv:\(id):\(modified)", title: summary ?? String(details.prefix(200)).ifEmpty(id),
            details: details, aliases: aliases, packages: packages, weaknesses: cwes, cvssVectors: vectors,
            raw: document.compactText)
    }

    // MARK: CVE JSON 5

    public static func cve5(_ document: JSONDocument, path: String = "$") throws(DomainError) -> ReportDraft {
        let f = try JSONFields(document, path: path)
        guard try f.string("dataType", required: true) == "CVE_RECORD" else {
            throw .invalid(field: f.at("dataType"), reason: "must be \"CVE_RECORD\"")
        }
        let meta = try f.object("cveMetadata", required: true)!
        let id = try meta.string("cveId", required: true, maxLength: 40)!
        guard id.range(of: #"^CVE-[0-9]{4}-[0-9]{4,19}$"#, options: .regularExpression) != nil else {
            throw .invalid(field: meta.at("cveId"), reason: "must look like CVE-YYYY-NNNN")
        }
        let state = try meta.string("state", required: true)!
        let dateUpdated = try meta.string("dateUpdated")
        let datePublished = try meta.string("datePublished")
        let updated = dateUpdated ?? datePublished ?? ""
        let cna = try f.object("containers", required: true)!.object("cna", required: true)!
        var details = ""
        if state == "PUBLISHED" {
            let descriptions = try cna.array("descriptions", required: true)
            guard let first = descriptions.first else { throw .invalid(field: cna.at("descriptions"), reason: "must not be empty") }
            details = try JSONFields(first, path: cna.at("descriptions") + "[0]").string("value", required: true)!
        } else {
            details = (cna.value["rejectedReasons"]?[0]?["value"]?.string) ?? "Rejected"
        }
        var packages: [AffectedPackage] = []
        for (i, entry) in try cna.array("affected").enumerated() {
            let a = try JSONFields(entry, path: "\(cna.at("affected"))[\(i)]")
            let vendorName = try a.string("vendor"), collection = try a.string("collectionURL")
            let productName = try a.string("product"), packageName = try a.string("packageName")
            let vendor = vendorName ?? collection ?? "unknown"
            let product = productName ?? packageName ?? "unknown"
            let versions = try a.array("versions").map { v in
                [v["version"]?.string.map { "introduced \($0)" }, v["lessThan"]?.string.map { "fixed \($0)" },
                 v["lessThanOrEqual"]?.string.map { "last_affected \($0)" }].compactMap { $0 }.joined(separator: ", ")
            }
            packages.append(AffectedPackage(ecosystem: vendor, name: product, ranges: versions.joined(separator: "; ")))
        }
        var cwes: [String] = []
        for problem in try cna.array("problemTypes") {
            for description in problem["descriptions"]?.array ?? [] {
                if let cwe = description["cweId"]?.string.flatMap(normaliseCWE), !cwes.contains(cwe) { cwes.append(cwe) }
            }
        }
        var vectors: [String] = []
        for metric in try cna.array("metrics") {
            for key in ["cvssV4_0", "cvssV3_1", "cvssV3_0"] {
                if let vector = metric[key]?["vectorString"]?.string { vectors.append(vector) }
            }
        }
        let title = try cna.string("title", maxLength: 500) ?? String(details.prefix(200))
        return ReportDraft(
            format: .cve5, submitterKey: "cve:\(id):\(updated)", title: title.ifEmpty(id), details: details, aliases: [id],
            packages: packages, weaknesses: cwes, cvssVectors: vectors, raw: document.compactText)
    }

    // MARK: Bulk bodies

    /// Splits a bulk body of OSV or CVE records: one JSON record, a JSON array of records, or JSON
    /// Lines. A line that is not JSON is listed with its index (`$[i]`); the others are kept.
    public static func records(_ bytes: [UInt8]) -> (documents: [JSONDocument], errors: [BulkError]) {
        if let whole = try? JSONDocument.parse(bytes) { return (whole.array ?? [whole], []) }
        var documents: [JSONDocument] = []
        var errors: [BulkError] = []
        for (i, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated()
        where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
            do { documents.append(try JSONDocument.parse(Array(line))) } catch {
                errors.append(BulkError(path: "$[\(i)]", reason: error.description))
            }
        }
        return (documents, errors)
    }

    // MARK: Identifiers

    /// `CWE-79` from `CWE-79`, `cwe-79`, `external/cwe/cwe-079`; nil otherwise.
    public static func normaliseCWE(_ text: String) -> String? {
        guard let range = text.range(of: #"(?i)cwe[-/]?0*([0-9]{1,5})$"#, options: .regularExpression) else { return nil }
        let digits = text[range].drop { !$0.isNumber }.drop { $0 == "0" }
        return digits.isEmpty ? nil : "CWE-\(digits)"
    }

    /// Aliases compare case-insensitively; they are stored uppercased.
    public static func normaliseAlias(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 200, !trimmed.contains(where: \.isWhitespace) else { return nil }
        return trimmed.uppercased()
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
