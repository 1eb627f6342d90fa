// The installation's Ed25519 key for referral packages. `manifest.json` lists every other file with
// its SHA-256, so signing the manifest's bytes signs the package: `manifest.sig` holds the
// algorithm, the public key and the signature. Anyone with the installation's public key (printed
// by `clearinghouse incident signing-key`) checks it offline with `incident verify-package
// --public-key KEY`.
//
// The private key is created on first use and stored sealed with the installation's SecretBox
// (AES-GCM, key from configuration), one row in `defenders_signing_keys`; or an operator supplies it
// as `CLEARINGHOUSE_PACKAGE_SIGNING_KEY` (base64 of the 32-byte raw Ed25519 private key), in which
// case it is used and never stored.
import Crypto
import Foundation
import Platform

public struct PackageSigner: Sendable {
    let key: Curve25519.Signing.PrivateKey

    public static let environmentKey = "CLEARINGHOUSE_PACKAGE_SIGNING_KEY"
    public static let signatureFile = "manifest.sig"

    public init(privateKey: Curve25519.Signing.PrivateKey) { self.key = privateKey }

    /// Base64 of the raw 32-byte public key.
    public var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// A new random key (tests, and the first use of an installation).
    public static func generate() -> PackageSigner { PackageSigner(privateKey: Curve25519.Signing.PrivateKey()) }

    /// Base64 of the raw private key: what `CLEARINGHOUSE_PACKAGE_SIGNING_KEY` holds.
    var rawPrivateKeyBase64: String { key.rawRepresentation.base64EncodedString() }

    /// The key the configuration supplies, if any; a malformed one is refused, naming the setting.
    public static func parse(environment: [String: String]) throws -> PackageSigner? {
        guard let raw = environment[environmentKey], !raw.isEmpty else { return nil }
        guard let bytes = Data(base64Encoded: raw.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw ConfigurationError.invalid(key: environmentKey, reason: "expected base64 of a 32-byte Ed25519 private key")
        }
        return PackageSigner(privateKey: key)
    }

    /// The configured key, else the installation's stored one (created and sealed on first use).
    public static func installation(db: any Database, secrets: SecretBox, at now: Date,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> PackageSigner {
        if let configured = try parse(environment: environment) { return configured }
        return try await db.write { conn in
            if let row = try await conn.first("SELECT private_key_sealed FROM defenders_signing_keys WHERE id = 1") {
                guard let sealed = Data(base64Encoded: try row.string("private_key_sealed")) else {
                    throw StorageError.unexpectedValue(column: "defenders_signing_keys.private_key_sealed", expected: "base64")
                }
                return PackageSigner(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: try secrets.open(Array(sealed))))
            }
            let key = Curve25519.Signing.PrivateKey()
            let sealed = try secrets.seal(Array(key.rawRepresentation))
            try await conn.execute("""
                INSERT INTO defenders_signing_keys (id, algorithm, public_key, private_key_sealed, created_at) VALUES (1, 'Ed25519', $1, $2, $3)
                """, [.text(key.publicKey.rawRepresentation.base64EncodedString()), .text(Data(sealed).base64EncodedString()),
                      .int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: "system", action: "incident.signing-key.create", target: "defenders_signing_keys:1",
                                                 detail: ["public_key": key.publicKey.rawRepresentation.base64EncodedString()]), at: now, on: conn)
            return PackageSigner(privateKey: key)
        }
    }

    struct Signature: Codable { var algorithm: String; var publicKey: String; var signature: String
        enum CodingKeys: String, CodingKey { case algorithm, publicKey = "public_key", signature }
    }

    func signatureDocument(forManifest manifest: Data) throws -> Data {
        let signature = try key.signature(for: manifest)
        return try ReferralPackage.pretty.encode(Signature(algorithm: "Ed25519", publicKey: publicKey, signature: signature.base64EncodedString()))
    }

    /// Checks `manifest.sig` in `directory` against `publicKey` (base64 raw key). Problems, or empty.
    static func verify(_ directory: URL, publicKey: String) -> [ReferralPackage.Problem] {
        guard let keyBytes = Data(base64Encoded: publicKey.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else {
            return [ReferralPackage.Problem(path: "--public-key", reason: "expected base64 of a 32-byte Ed25519 public key")]
        }
        let fm = FileManager.default
        guard let sigData = fm.contents(atPath: directory.appendingPathComponent(signatureFile).path) else {
            return [ReferralPackage.Problem(path: signatureFile, reason: "missing: the package is not signed")]
        }
        guard let sig = try? JSONDecoder().decode(Signature.self, from: sigData), sig.algorithm == "Ed25519",
              let signature = Data(base64Encoded: sig.signature) else {
            return [ReferralPackage.Problem(path: signatureFile, reason: "not an Ed25519 signature document")]
        }
        guard let manifest = fm.contents(atPath: directory.appendingPathComponent("manifest.json").path) else { return [] }
        guard key.isValidSignature(signature, for: manifest) else {
            let other = sig.publicKey != publicKey.trimmingCharacters(in: .whitespacesAndNewlines)
            return [ReferralPackage.Problem(path: signatureFile, reason: other
                ? "signed with another key (\(sig.publicKey)), not the public key given"
                : "the signature does not match manifest.json: the manifest changed after signing")]
        }
        return []
    }
}
