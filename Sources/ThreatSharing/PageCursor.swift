// The stateless `next` cursor: where a page ended (date_added in microseconds plus the storage
// row number that breaks ties), as an opaque URL-safe token any server process can decode.
// No secret is involved: every page is re-authorised, so a forged cursor can only move the
// reader's position, never widen what they see. The checksum catches garbling, not forgery.

/// A position in a collection ordered by (date_added, sequence).
public struct PageCursor: Sendable, Hashable, Comparable {
    public let dateAdded: StixTimestamp
    /// The storage's monotonically assigned row number; unique within a collection.
    public let sequence: Int64

    public init(dateAdded: StixTimestamp, sequence: Int64) {
        self.dateAdded = dateAdded
        self.sequence = sequence
    }

    public static func < (a: PageCursor, b: PageCursor) -> Bool {
        (a.dateAdded, a.sequence) < (b.dateAdded, b.sequence)
    }

    static let formatVersion: UInt8 = 1
    static let byteCount = 1 + 8 + 8 + 4
    static let tokenLength = 28  // 21 bytes → 28 base64url characters, no padding

    /// `1` + date_added (8 bytes) + sequence (8 bytes) + FNV-1a checksum (4 bytes), base64url.
    public var token: String {
        var bytes = [PageCursor.formatVersion]
        bytes.reserveCapacity(PageCursor.byteCount)
        PageCursor.appendBigEndian(UInt64(bitPattern: dateAdded.microseconds), to: &bytes)
        PageCursor.appendBigEndian(UInt64(bitPattern: sequence), to: &bytes)
        let sum = PageCursor.checksum(bytes)
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: sum >> UInt32(shift))) }
        return Base64URL.encode(bytes)
    }

    /// Decodes a token from the `next` query parameter.
    public init(token: String) throws(CursorError) {
        guard token.utf8.count == PageCursor.tokenLength else { throw .wrongLength }
        guard let bytes = Base64URL.decode(token), bytes.count == PageCursor.byteCount else { throw .notBase64URL }
        guard bytes[0] == PageCursor.formatVersion else { throw .unknownVersion }
        let body = Array(bytes[0..<17])
        let stored = bytes[17...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard stored == PageCursor.checksum(body) else { throw .checksumMismatch }
        let micros = Int64(bitPattern: PageCursor.readBigEndian(bytes[1..<9]))
        let sequence = Int64(bitPattern: PageCursor.readBigEndian(bytes[9..<17]))
        guard micros >= StixTimestamp.minimum.microseconds, micros <= StixTimestamp.maximum.microseconds else { throw .outOfRange }
        guard sequence >= 0 else { throw .outOfRange }
        self.init(dateAdded: StixTimestamp(microseconds: micros), sequence: sequence)
    }

    static func appendBigEndian(_ v: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }
}

public enum CursorError: Error, Sendable, Hashable, CustomStringConvertible {
    case wrongLength, notBase64URL, unknownVersion, checksumMismatch, outOfRange

    public var description: String {
        switch self {
        case .wrongLength: "the cursor has the wrong length"
        case .notBase64URL: "the cursor is not a base64url token"
        case .unknownVersion: "the cursor was made by an unknown format version"
        case .checksumMismatch: "the cursor is damaged (checksum mismatch)"
        case .outOfRange: "the cursor points outside the valid range"
        }
    }
}

/// RFC 4648 section 5 base64 without padding, strict on decode.
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var chunk: UInt32 = 0
            for j in 0..<3 { chunk = chunk << 8 | UInt32(j < n ? bytes[i + j] : 0) }
            for j in 0...n { out.append(alphabet[Int((chunk >> UInt32(18 - 6 * j)) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let v: UInt32
            switch c {
            case 65...90: v = UInt32(c - 65)
            case 97...122: v = UInt32(c - 97 + 26)
            case 48...57: v = UInt32(c - 48 + 52)
            case 45: v = 62
            case 95: v = 63
            default: return nil
            }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard buffer == 0 else { return nil }  // non-canonical trailing bits: a second spelling of the same token
        return out
    }
}
