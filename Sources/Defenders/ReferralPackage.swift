// A referral package (EO 14409 §4): an incident exported as a directory anyone can check offline.
//
//   manifest.json        every other file with its SHA-256 and size
//   incident.json        the incident (schema: docs/schemas/referral-package.schema.json)
//   stix-bundle.json     a STIX 2.1 bundle: identity, incident, indicators, relationships
//   audit-trail.json     the incident's entries from the installation's hash-chained audit log
//   evidence/NNN-NAME    the evidence files, as received
//
// Verification recomputes every digest and names each file whose bytes changed, is missing, or is
// not in the manifest; it also checks each evidence file against the digest recorded when the
// clearinghouse received it (in incident.json), so rewriting the manifest alone does not hide a change.
import Foundation
import Platform
import ThreatSharing

public enum ReferralPackage {
    public static let format = "clearinghouse-referral-package"
    public static let version = 1

    struct ManifestEntry: Codable, Equatable { var path: String; var sha256: String; var size: Int }
    struct Manifest: Codable { var format: String; var version: Int; var incidentId: String; var generatedAt: String; var files: [ManifestEntry]
        enum CodingKeys: String, CodingKey { case format, version, incidentId = "incident_id", generatedAt = "generated_at", files }
    }

    /// The incident document, in the schema docs/defenders.md describes.
    struct Document: Codable {
        struct Times: Codable { var started_at: String; var detected_at: String; var filed_at: String }
        struct Evidence: Codable { var id: String; var name: String; var media_type: String; var size: Int64; var sha256: String; var received_at: String; var received_by: String; var path: String }
        struct Tags: Codable { var notice: String; var suggested: [StatuteSuggestion]; var confirmed: [ConfirmedTag]; var confirmed_by: String?; var confirmed_at: String? }
        var format: String
        var version: Int
        var id: String
        var title: String
        var summary: String
        var times: Times
        var filed_by: String
        var filed_as: String
        var on_behalf_of: String?
        var tlp: String
        var reporting_org: String
        var systems_affected: [String]
        var data_affected: [String]
        var indicators: [Indicator]
        var ai_evidence: AIEvidence
        var losses: Losses
        var facts: IncidentFacts
        var statute_tags: Tags
        var evidence: [Evidence]
    }

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public struct Written: Sendable {
        /// SHA-256 of manifest.json: quote it to show later that a package is the one exported.
        public var manifestDigest: String
        public var files: Int
    }

    static func stamp(_ d: Date) -> String { d.iso8601 }

    /// STIX timestamps: UTC with milliseconds, as the spec's examples write them.
    static func stixTime(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    /// A name-based id: the same incident and indicator give the same STIX id on every export.
    static func stixId(_ type: String, _ seed: String) -> String {
        var hex = Array(Secrets.sha256Hex(seed).prefix(32))
        hex[12] = "5"
        hex[16] = ["8", "9", "a", "b"][Int(String(hex[16]), radix: 16)! % 4]
        let s = String(hex)
        let parts = [s.prefix(8), s.dropFirst(8).prefix(4), s.dropFirst(12).prefix(4), s.dropFirst(16).prefix(4), s.dropFirst(20)]
        return type + "--" + parts.joined(separator: "-")
    }

    static func evidencePath(_ index: Int, _ name: String) -> String {
        "evidence/" + String(format: "%03d", index + 1) + "-" + name
    }

    static func stixPattern(_ i: Indicator) -> String {
        switch i.type {
        case "file-sha256": "[file:hashes.'SHA-256' = '\(i.value.lowercased())']"
        default: "[\(i.type):value = '\(i.value)']"
        }
    }

    /// The STIX 2.1 bundle: the incident, its indicators, and `indicates` relationships, at the
    /// incident's own TLP with nothing left out (see `IncidentSTIX`).
    public static func stixBundle(_ incident: Incident, generatedAt: Date) -> JSONValue {
        let objects = IncidentSTIX.objects(incident, view: IncidentSTIX.View(tlp: incident.label.tlp, recipients: nil, redaction: nil,
                                                                             seed: "incident:" + incident.id, modified: nil))
        return .object(["type": .string("bundle"), "id": .string(stixId("bundle", "incident:\(incident.id):\(generatedAt.microsecondsSinceEpoch)")),
                        "objects": .array(objects)])
    }

    static func document(_ e: IncidentExport) -> Document {
        let i = e.incident
        return Document(
            format: format, version: version, id: i.id, title: i.title, summary: i.summary,
            times: .init(started_at: stamp(i.startedAt), detected_at: stamp(i.detectedAt), filed_at: stamp(i.filedAt)),
            filed_by: i.filedBy, filed_as: i.filedAs.rawValue, on_behalf_of: i.onBehalfOf, tlp: i.label.tlp.name,
            reporting_org: i.label.ownerOrg, systems_affected: i.systemsAffected, data_affected: i.dataAffected,
            indicators: i.indicators, ai_evidence: i.aiEvidence, losses: i.losses, facts: i.facts,
            statute_tags: .init(notice: StatuteRules.notice, suggested: i.suggestions, confirmed: i.confirmedTags,
                                confirmed_by: i.confirmedBy, confirmed_at: i.confirmedAt.map(stamp)),
            evidence: e.files.enumerated().map { n, f in
                .init(id: f.record.id, name: f.record.name, media_type: f.record.mediaType, size: f.record.size, sha256: f.record.sha256,
                      received_at: stamp(f.record.receivedAt), received_by: f.record.receivedBy, path: evidencePath(n, f.record.name))
            })
    }

    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    /// Writes the package into `directory`, which must not exist yet (nothing is overwritten); with
    /// a signer, `manifest.sig` signs the manifest's bytes.
    public static func write(_ export: IncidentExport, to directory: URL, generatedAt: Date, signer: PackageSigner? = nil) throws -> Written {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory.path) {
            throw DomainError.invalid(field: "--out", reason: "\(directory.path) already exists; choose a new directory")
        }
        try fm.createDirectory(at: directory.appendingPathComponent("evidence"), withIntermediateDirectories: true)
        var files: [(String, Data)] = []
        files.append(("incident.json", try pretty.encode(document(export))))
        files.append(("stix-bundle.json", stixBundle(export.incident, generatedAt: generatedAt).encoded()))
        files.append(("audit-trail.json", try pretty.encode(export.audit)))
        for (n, f) in export.files.enumerated() { files.append((evidencePath(n, f.record.name), Data(f.content))) }
        var entries: [ManifestEntry] = []
        for (path, data) in files {
            try data.write(to: directory.appendingPathComponent(path), options: .withoutOverwriting)
            entries.append(ManifestEntry(path: path, sha256: Secrets.sha256Hex(data), size: data.count))
        }
        let manifest = try pretty.encode(Manifest(format: format, version: version, incidentId: export.incident.id,
                                                  generatedAt: stamp(generatedAt), files: entries))
        try manifest.write(to: directory.appendingPathComponent("manifest.json"), options: .withoutOverwriting)
        if let signer {
            try signer.signatureDocument(forManifest: manifest).write(to: directory.appendingPathComponent(PackageSigner.signatureFile), options: .withoutOverwriting)
        }
        return Written(manifestDigest: Secrets.sha256Hex(manifest), files: entries.count)
    }

    /// Checks a package offline. Empty means every file is as exported (and, given the
    /// installation's public key, that the manifest carries its valid signature).
    public static func verify(_ directory: URL, publicKey: String? = nil) -> [Problem] {
        let problems = verifyDigests(directory)
        guard let publicKey else { return problems }
        return (problems + PackageSigner.verify(directory, publicKey: publicKey)).sorted { $0.path < $1.path }
    }

    static func verifyDigests(_ directory: URL) -> [Problem] {
        let fm = FileManager.default
        guard let manifestData = fm.contents(atPath: directory.appendingPathComponent("manifest.json").path) else {
            return [Problem(path: "manifest.json", reason: "missing: this is not a referral package")]
        }
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: manifestData), manifest.format == format else {
            return [Problem(path: "manifest.json", reason: "not a \(format) manifest")]
        }
        var problems: [Problem] = []
        var listed = Set<String>()
        for entry in manifest.files {
            listed.insert(entry.path)
            if entry.path.hasPrefix("/") || entry.path.split(separator: "/").contains("..") {
                problems.append(Problem(path: entry.path, reason: "path leaves the package"))
                continue
            }
            guard let data = fm.contents(atPath: directory.appendingPathComponent(entry.path).path) else {
                problems.append(Problem(path: entry.path, reason: "missing"))
                continue
            }
            let digest = Secrets.sha256Hex(data)
            if digest != entry.sha256 {
                problems.append(Problem(path: entry.path, reason: "bytes changed: SHA-256 is \(digest), the manifest records \(entry.sha256)"))
            }
        }
        // Files that were added after export.
        if let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) {
            let root = directory.standardizedFileURL.path + "/"
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let rel = String(url.standardizedFileURL.path.dropFirst(root.count))
                if rel != "manifest.json" && rel != PackageSigner.signatureFile && !listed.contains(rel) {
                    problems.append(Problem(path: rel, reason: "not listed in the manifest"))
                }
            }
        }
        // Evidence against the digests recorded on receipt.
        if let docData = fm.contents(atPath: directory.appendingPathComponent("incident.json").path),
           let doc = try? JSONDecoder().decode(Document.self, from: docData) {
            for e in doc.evidence where !problems.contains(where: { $0.path == e.path && $0.reason == "missing" }) {
                guard let data = fm.contents(atPath: directory.appendingPathComponent(e.path).path) else { continue }
                let digest = Secrets.sha256Hex(data)
                if digest != e.sha256 && !problems.contains(where: { $0.path == e.path }) {
                    problems.append(Problem(path: e.path, reason: "bytes differ from those received: SHA-256 is \(digest), received as \(e.sha256)"))
                }
            }
        } else if !problems.contains(where: { $0.path == "incident.json" }) {
            problems.append(Problem(path: "incident.json", reason: "unreadable as a referral document"))
        }
        return problems.sorted { $0.path < $1.path }
    }
}
