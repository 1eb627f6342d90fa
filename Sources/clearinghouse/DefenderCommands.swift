// Incident commands (EO 14409 §4). `incident export` writes a referral package from the configured
// database, acting as a named user (so the access rule and the audit log apply as on the web);
// `incident verify-package` checks a package's digests offline and opens no database.
import ArgumentParser
import Defenders
import Foundation
import Platform

struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident", abstract: "Incident reports of AI-enabled intrusions: referral packages.",
        subcommands: [Export.self, VerifyPackage.self, SigningKey.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export",
            abstract: "Export an incident as a referral package directory (refuses an existing PATH); prints the manifest's SHA-256.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "The user the export is made as: it must be able to read the incident, and the export is audited under this name.") var user: String
        @Option(help: "The directory to create.") var out: String
        @Argument(help: "The incident id.") var id: String

        func run() async throws {
            let userName = user, id = id, out = URL(fileURLWithPath: out)
            let secrets = try storage.resolve().secretBox()
            let written = try await storage.withDatabase(logger: commandLogger("clearinghouse.incident")) { db in
                let reader = try await activeReader(named: userName, on: db)
                let store = IncidentStore(db: db, clock: .system, secrets: secrets)
                do {
                    let export = try await store.export(id: id, reader: reader)
                    let signer = try await PackageSigner.installation(db: db, secrets: secrets, at: Date())
                    return (try ReferralPackage.write(export, to: out, generatedAt: Date(), signer: signer), signer.publicKey)
                } catch let error as DomainError {
                    throw Failure(error.description)
                }
            }
            say("wrote \(written.0.files) files to \(out.path); manifest.json SHA-256 \(written.0.manifestDigest); signed (manifest.sig) with Ed25519 public key \(written.1)")
        }
    }

    struct VerifyPackage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-package",
            abstract: "Check a referral package offline: exit 0 when every file matches its digest, 1 naming each file that does not.")
        @Argument(help: "The package directory.") var path: String
        @Option(help: "The exporting installation's Ed25519 public key (base64, from `incident signing-key`); when given, manifest.sig must be its valid signature of manifest.json.")
        var publicKey: String?

        func run() throws {
            let problems = ReferralPackage.verify(URL(fileURLWithPath: path), publicKey: publicKey)
            if problems.isEmpty {
                say("OK: every file in \(path) matches its recorded SHA-256" + (publicKey == nil ? "" : "; manifest.json is signed by the given key"))
                return
            }
            for p in problems { FileHandle.standardError.write(Data("CHANGED \(p.path): \(p.reason)\n".utf8)) }
            throw ExitCode(1)
        }
    }

    struct SigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "signing-key",
            abstract: "Print the installation's Ed25519 public key that signs referral packages (created on first use), for `verify-package --public-key`.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let secrets = try storage.resolve().secretBox()
            let key = try await storage.withDatabase(logger: commandLogger("clearinghouse.incident")) { db in
                try await PackageSigner.installation(db: db, secrets: secrets, at: Date()).publicKey
            }
            say(key)
        }
    }
}
