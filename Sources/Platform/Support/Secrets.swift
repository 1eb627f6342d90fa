// Secrets: how tokens are minted and stored (only their SHA-256 ever reaches the database), how
// passwords are hashed (bcrypt, off the cooperative thread pool), and how secrets that must be
// read back later are sealed at rest (AES-256-GCM under a key from configuration).
import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

public enum Secrets {
    /// `count` random bytes from the system's secure generator, base64url without padding.
    public static func randomToken(bytes count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func sha256Hex(_ text: String) -> String { sha256Hex(Array(text.utf8)) }

    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(bytes)) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two strings in time independent of where they first differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// A generated password people can type: 20 characters, about 119 bits.
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// bcrypt cost: 12 rounds is the usual server default (about 0.25 s here).
    public static let bcryptCost: UInt8 = 12

    public static func hashPassword(_ password: String, cost: UInt8 = bcryptCost) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public static func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}

/// Seals secrets that must be read back (endpoint credentials, evidence files) with AES-256-GCM.
/// The key comes from configuration (`CLEARINGHOUSE_SECRET_KEY`, or a key file in the data folder
/// created with mode 0600 on first start); the database holds only ciphertext.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Accepts 32 bytes as base64 or 64 hex digits.
    public init(encodedKey: String) throws {
        let trimmed = encodedKey.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, let bytes = Self.hexBytes(trimmed) {
            key = SymmetricKey(data: bytes)
        } else if let data = Data(base64Encoded: trimmed), data.count == 32 {
            key = SymmetricKey(data: data)
        } else {
            throw ConfigurationError.invalid(key: "CLEARINGHOUSE_SECRET_KEY", reason: "must be 32 bytes as base64 or 64 hex digits")
        }
    }

    /// A box with a fresh random key (tests; a key that is never stored).
    public static func ephemeral() -> SecretBox { SecretBox(key: SymmetricKey(size: .bits256)) }

    public static func generateEncodedKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key)
        guard let combined = box.combined else { throw ConfigurationError.invalid(key: "secret key", reason: "cannot seal") }
        return Array(combined)
    }

    public func open(_ sealed: [UInt8]) throws -> [UInt8] {
        Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
    }

    private static func hexBytes(_ hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = hex.makeIterator()
        while let a = iterator.next(), let b = iterator.next() {
            guard let byte = UInt8(String([a, b]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
