// STIX identifiers (`<type>--<UUID>`) and type names: the syntax every reference property and
// every stored object key depends on, checked without allocating regexes.

/// Which family a STIX type belongs to; decides which common properties are required.
public enum StixObjectCategory: String, Sendable, Hashable {
    /// Domain objects (attack-pattern, indicator, …): spec_version, created, modified required.
    case domain
    /// relationship and sighting.
    case relationship
    /// marking-definition, language-content, extension-definition.
    case meta
    /// Cyber-observable objects (file, ipv4-addr, …): no created/modified, spec_version optional.
    case cyberObservable
    /// A type this module does not know (e.g. `x-mitre-tactic`); validated like a domain object.
    case custom

    public static func of(type: String) -> StixObjectCategory {
        if StixTypes.domain.contains(type) { return .domain }
        if type == "relationship" || type == "sighting" { return .relationship }
        if StixTypes.meta.contains(type) { return .meta }
        if StixTypes.cyberObservable.contains(type) { return .cyberObservable }
        return .custom
    }
}

/// The type names STIX 2.1 defines.
public enum StixTypes {
    public static let domain: Set<String> = [
        "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
        "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
        "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
    ]
    public static let meta: Set<String> = ["marking-definition", "language-content", "extension-definition"]
    public static let cyberObservable: Set<String> = [
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
        "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
        "software", "url", "user-account", "windows-registry-key", "x509-certificate",
    ]

    /// STIX 2.1 type-name rule: 3–250 characters of a–z, 0–9 and `-`, no `--` (which would make
    /// identifiers ambiguous), not starting or ending with `-`.
    public static func isValidTypeName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isValidTypeName(bytes: $0) }
    }

    static func isValidTypeName(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 3, bytes.count <= 250 else { return false }
        var previousHyphen = true  // rejects a leading hyphen
        for c in bytes {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                previousHyphen = false
            case UInt8(ascii: "-"):
                if previousHyphen { return false }
                previousHyphen = true
            default:
                return false
            }
        }
        return !previousHyphen
    }

    /// STIX 2.1 property-name rule: ASCII letters, digits and `_`, 3–250 characters
    /// (`id` is the one predefined shorter name).
    public static func isValidPropertyName(_ name: String) -> Bool {
        if name == "id" { return true }
        let bytes = name.utf8
        guard bytes.count >= 3, bytes.count <= 250 else { return false }
        return bytes.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95
        }
    }
}

/// A syntactically valid STIX identifier.
public struct StixIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let type: String
    /// The UUID part as written (RFC 4122 layout, variant 10xx).
    public let uuid: String

    public var description: String { "\(type)--\(uuid)" }

    /// Nil unless `text` is `<valid type>--<RFC 4122 UUID>`.
    /// Checked in place over the text's UTF-8 (every reference of every ingested object comes
    /// through here; copying each into arrays first was a tenth of a TAXII POST's CPU). The check
    /// returns a plain Bool: a tuple result made the runtime build generic metadata per call.
    public init?(_ text: String) {
        var text = text
        let valid = text.withUTF8 { utf8 -> Bool in
            guard utf8.count > 38 else { return false }
            let uuidStart = utf8.count - 36
            guard utf8[uuidStart - 1] == 45, utf8[uuidStart - 2] == 45 else { return false }
            return StixTypes.isValidTypeName(bytes: UnsafeBufferPointer(rebasing: utf8[0..<(uuidStart - 2)]))
                && StixIdentifier.isRFC4122(UnsafeBufferPointer(rebasing: utf8[uuidStart...]))
        }
        guard valid else { return nil }
        // Valid means ASCII from the separator on, so these offsets are character boundaries.
        let uuidStart = text.utf8.index(text.utf8.endIndex, offsetBy: -36)
        type = String(text[..<text.utf8.index(uuidStart, offsetBy: -2)])
        uuid = String(text[uuidStart...])
    }

    static func isRFC4122(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard u.count == 36 else { return false }
        var i = 0
        while i < 36 {
            let c = u[i]
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == 45 else { return false }
            } else {
                let hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
                guard hex else { return false }
            }
            i += 1
        }
        // Version nibble 1–8 (RFC 4122 and its RFC 9562 successors), variant bits 10xx.
        let version = u[14]
        guard version >= 49, version <= 56 else { return false }
        let variant = u[19] | 0x20  // lower-case
        return variant == 56 || variant == 57 || variant == 97 || variant == 98
    }
}
