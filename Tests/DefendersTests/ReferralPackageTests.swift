// Referral packages: an exported package verifies offline; one changed byte in an evidence file
// is named; the STIX bundle passes the threat-sharing validator; the export is audited.
import Foundation
import Platform
import Testing
import TestSupport
import ThreatSharing
@testable import Defenders

@Suite struct ReferralPackageTests {
    static func exported(engine: Engine, _ body: (URL, IncidentStore, Incident) async throws -> Void) async throws {
        try await TestDatabases.with(engine, migrations: IncidentStoreTests.migrations) { test in
            let store = IncidentStore(db: test.db, clock: ManualClock().clock, secrets: .ephemeral())
            let hospital = IncidentStoreTests.reader("rural-hospital")
            let evidence = [EvidenceUpload(name: "trace.log", mediaType: "text/plain", content: Array("agent: list /etc\nagent: read shadow\n".utf8)),
                            EvidenceUpload(name: "prompts.txt", mediaType: "text/plain", content: Array("find the billing database".utf8))]
            let incident = try await store.file(IncidentStoreTests.draft(evidence: evidence), by: hospital)
            _ = try await store.confirmTags(incidentId: incident.id, tags: ["1030(a)(2)"], by: hospital)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pkg-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let export = try await store.export(id: incident.id, reader: hospital)
            _ = try ReferralPackage.write(export, to: dir, generatedAt: Date(timeIntervalSince1970: 1_795_000_100))
            try await body(dir, store, incident)
        }
    }

    @Test(arguments: Engine.available)
    func packageVerifiesAndOneChangedByteIsNamed(engine: Engine) async throws {
        try await Self.exported(engine: engine) { dir, _, _ in
            #expect(ReferralPackage.verify(dir).isEmpty)
            let path = dir.appendingPathComponent("evidence/001-trace.log")
            var bytes = try Data(contentsOf: path)
            bytes[3] ^= 0x01
            try bytes.write(to: path)
            let problems = ReferralPackage.verify(dir)
            #expect(problems.map(\.path) == ["evidence/001-trace.log"])
            #expect(problems.first?.reason.contains("bytes changed") == true)
        }
    }

    @Test(arguments: Engine.available)
    func rewritingTheManifestDoesNotHideAChangedEvidenceFile(engine: Engine) async throws {
        try await Self.exported(engine: engine) { dir, _, _ in
            let path = dir.appendingPathComponent("evidence/002-prompts.txt")
            try Data("find the payroll database".utf8).write(to: path)
            let manifestURL = dir.appendingPathComponent("manifest.json")
            var manifest = try JSONDecoder().decode(ReferralPackage.Manifest.self, from: Data(contentsOf: manifestURL))
            for i in manifest.files.indices where manifest.files[i].path == "evidence/002-prompts.txt" {
                manifest.files[i].sha256 = Secrets.sha256Hex(Array("find the payroll database".utf8))
            }
            try JSONEncoder().encode(manifest).write(to: manifestURL)
            try Data("extra".utf8).write(to: dir.appendingPathComponent("evidence/003-planted.bin"))
            let problems = ReferralPackage.verify(dir)
            #expect(problems.map(\.path) == ["evidence/002-prompts.txt", "evidence/003-planted.bin"])
            #expect(problems[0].reason.contains("received as"))
        }
    }

    @Test(arguments: Engine.available)
    func packageHoldsDocumentStixBundleAndAuditTrail(engine: Engine) async throws {
        try await Self.exported(engine: engine) { dir, store, incident in
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("incident.json"))) as? [String: Any]
            let tags = doc?["statute_tags"] as? [String: Any]
            #expect((tags?["notice"] as? String)?.contains("not a legal conclusion") == true)
            #expect(((tags?["confirmed"] as? [[String: Any]])?.first?["provision"] as? String) == "1030(a)(2)")
            #expect((doc?["evidence"] as? [[String: Any]])?.count == 2)

            let bundle = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("stix-bundle.json")))
            let objects = bundle["objects"]?.arrayValue ?? []
            let validator = StixValidator()
            for (i, o) in objects.enumerated() {
                if case .failure(let v) = validator.validate(o, path: "$.objects[\(i)]") { Issue.record("invalid STIX: \(v)") }
            }
            let types = objects.compactMap { $0["type"]?.stringValue }
            #expect(types.filter { $0 == "incident" }.count == 1)
            #expect(types.filter { $0 == "indicator" }.count == 2)
            #expect(objects.contains { $0["pattern"]?.stringValue == "[ipv4-addr:value = '203.0.113.7']" })
            #expect(objects.allSatisfy { $0["type"]?.stringValue == "identity" || TLPLevel.of($0) == .red })

            let audit = try JSONDecoder.iso.decode([AuditEntry].self, from: Data(contentsOf: dir.appendingPathComponent("audit-trail.json")))
            #expect(audit.map(\.action) == ["incident.file", "incident.evidence.add", "incident.evidence.add", "incident.tags.confirm", "incident.export"])
            #expect(try await store.auditTrail(id: incident.id).last?.action == "incident.export")
        }
    }

    @Test(arguments: Engine.available)
    func outsiderCannotExportAndExistingDirectoryIsRefused(engine: Engine) async throws {
        try await Self.exported(engine: engine) { dir, store, incident in
            await #expect(throws: DomainError.notFound("incident \(incident.id)")) {
                _ = try await store.export(id: incident.id, reader: IncidentStoreTests.reader("other-bank"))
            }
            let export = try await store.export(id: incident.id, reader: IncidentStoreTests.reader("rural-hospital"))
            #expect(throws: DomainError.self) { _ = try ReferralPackage.write(export, to: dir, generatedAt: Date()) }
            #expect(ReferralPackage.verify(dir).isEmpty, "the refused second export left the first intact")
        }
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder { let d = JSONDecoder(); d.dateDecodingStrategy = .iso8601; return d }

    @Test("a signed package verifies with the installation's public key; a rewritten manifest or another key is named", arguments: Engine.available)
    func signedPackage(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: IncidentStoreTests.migrations) { test in
            let secrets = SecretBox.ephemeral()
            let store = IncidentStore(db: test.db, clock: ManualClock().clock, secrets: secrets)
            let hospital = IncidentStoreTests.reader("rural-hospital")
            let incident = try await store.file(IncidentStoreTests.draft(), by: hospital)
            let signer = try await PackageSigner.installation(db: test.db, secrets: secrets, at: Date(), environment: [:])
            // The key is created once, stored sealed (the raw private key is not in the row), and reused.
            let again = try await PackageSigner.installation(db: test.db, secrets: secrets, at: Date(), environment: [:])
            #expect(again.publicKey == signer.publicKey)
            let row = try await test.db.read { try await $0.first("SELECT public_key, private_key_sealed FROM defenders_signing_keys") }
            #expect(try row?.string("public_key") == signer.publicKey)
            #expect(try row?.string("private_key_sealed") != signer.rawPrivateKeyBase64)

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("signed-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            _ = try ReferralPackage.write(try await store.export(id: incident.id, reader: hospital), to: dir, generatedAt: Date(), signer: signer)
            #expect(ReferralPackage.verify(dir).isEmpty, "manifest.sig is not an unlisted file")
            #expect(ReferralPackage.verify(dir, publicKey: signer.publicKey).isEmpty)
            let other = PackageSigner.generate().publicKey
            #expect(ReferralPackage.verify(dir, publicKey: other).map(\.path) == ["manifest.sig"])
            #expect(ReferralPackage.verify(dir, publicKey: "not a key").map(\.path) == ["--public-key"])
            // Rewriting the manifest (to hide a changed file) breaks the signature.
            let manifestURL = dir.appendingPathComponent("manifest.json")
            var manifest = try Data(contentsOf: manifestURL)
            manifest.append(contentsOf: Array(" ".utf8))
            try manifest.write(to: manifestURL)
            let problems = ReferralPackage.verify(dir, publicKey: signer.publicKey)
            #expect(problems.map(\.path) == ["manifest.sig"])
            #expect(problems.first?.reason.contains("manifest changed") == true)
            // An operator-supplied key is used as given and never stored.
            let configured = PackageSigner.generate()
            let fromEnvironment = try await PackageSigner.installation(db: test.db, secrets: secrets, at: Date(), environment: [
                PackageSigner.environmentKey: configured.rawPrivateKeyBase64])
            #expect(fromEnvironment.publicKey == configured.publicKey)
            #expect(throws: ConfigurationError.self) { _ = try PackageSigner.parse(environment: [PackageSigner.environmentKey: "short"]) }
        }
    }
}
