// What a scanning campaign names as its targets, parsed and normalised so that matching is plain
// equality in SQL: package URLs (purl; a purl without a version stands for every version), source
// repositories (host and path, case-folded, `.git` and trailing slashes dropped) and CPE 2.3
// formatted names (eleven attributes, each a value or `*` for any). Stored one row per target in
// `vuln_scan_targets`, whose columns are the fields below.
import Foundation
import Platform

public struct ScanTarget: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case purl, repo, cpe }

    public let kind: Kind
    /// The target as declared.
    public let raw: String
    /// purl: `pkg:type/namespace/name`; repo: `host/path`; cpe: the whole name, lower-cased.
    public let key: String
    /// purl or CPE version; `*` for any (a purl without a version, a CPE version of `*`).
    public let version: String
    /// The CPE attributes part, vendor, product, update, edition, language, sw_edition, target_sw,
    /// target_hw, other (version is `version`); all `*` for the other kinds.
    public let cpe: [String]

    public static let cpeAttributes = ["part", "vendor", "product", "update", "edition", "language", "sw_edition",
                                       "target_sw", "target_hw", "other"]
    static let anyCPE = Array(repeating: "*", count: cpeAttributes.count)

    /// Parses a target, choosing the kind from its form: `pkg:` is a purl, `cpe:2.3:` a CPE name,
    /// anything else must be a repository URL. Throws `.invalid(field: path, …)`.
    public init(parsing text: String, path: String) throws {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, value.count <= 1000 else { throw DomainError.invalid(field: path, reason: "must be 1 to 1000 characters") }
        let lower = value.lowercased()
        if lower.hasPrefix("pkg:") {
            self = try Self.purl(value, path: path)
        } else if lower.hasPrefix("cpe:") {
            self = try Self.cpe23(value, path: path)
        } else {
            self = try Self.repository(value, path: path)
        }
    }

    init(kind: Kind, raw: String, key: String, version: String, cpe: [String] = ScanTarget.anyCPE) {
        self.kind = kind
        self.raw = raw
        self.key = key
        self.version = version
        self.cpe = cpe
    }

    // MARK: Package URLs (github.com/package-url/purl-spec)

    static func purl(_ text: String, path: String) throws -> ScanTarget {
        func bad(_ reason: String) -> DomainError { .invalid(field: path, reason: "package URL \(reason)") }
        var rest = Substring(text.dropFirst(4))
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }  // subpath: not part of identity here
        if let question = rest.firstIndex(of: "?") { rest = rest[..<question] }  // qualifiers: likewise
        var version = "*"
        if let at = rest.lastIndex(of: "@") {
            guard let decoded = String(rest[rest.index(after: at)...]).removingPercentEncoding, !decoded.isEmpty else {
                throw bad("has an empty or badly encoded version")
            }
            version = decoded
            rest = rest[..<at]
        }
        var segments = rest.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count >= 2 else { throw bad("needs a type and a name: pkg:type/namespace/name@version") }
        let type = segments.removeFirst().lowercased()
        guard let first = type.first, first.isASCII, first.isLetter,
              type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".+-".contains($0)) }) else {
            throw bad("type \"\(type)\" must start with a letter and use only letters, digits, '.', '+' and '-'")
        }
        var decoded: [String] = []
        for segment in segments {
            guard let d = segment.removingPercentEncoding, !d.isEmpty else {
                throw bad("has a badly encoded segment \"\(segment)\"")
            }
            decoded.append(d)
        }
        // Case and separator rules the purl spec gives per type.
        switch type {
        case "github", "bitbucket", "gitlab", "composer":
            decoded = decoded.map { $0.lowercased() }
        case "pypi":
            decoded[decoded.count - 1] = decoded[decoded.count - 1].lowercased().replacingOccurrences(of: "_", with: "-")
        default: break
        }
        let key = "pkg:" + type + "/" + decoded.joined(separator: "/")
        return ScanTarget(kind: .purl, raw: text, key: key, version: version)
    }

    // MARK: Repository URLs

    static func repository(_ text: String, path: String) throws -> ScanTarget {
        func bad(_ reason: String) -> DomainError {
            .invalid(field: path, reason: "is not a package URL (pkg:…), a CPE 2.3 name (cpe:2.3:…) or a repository URL: \(reason)")
        }
        var host: String, rest: String
        if text.hasPrefix("git@"), let colon = text.firstIndex(of: ":") {  // scp-like: git@github.com:owner/repo.git
            host = String(text[text.index(text.startIndex, offsetBy: 4)..<colon])
            rest = String(text[text.index(after: colon)...])
        } else {
            guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
                  ["https", "http", "git", "ssh", "git+ssh", "git+https"].contains(scheme) else {
                throw bad("use https://host/owner/repository")
            }
            guard let h = url.host, !h.isEmpty else { throw bad("no host") }
            host = h
            rest = url.path
        }
        host = host.lowercased()
        if host.hasPrefix("www.") { host = String(host.dropFirst(4)) }
        guard host.contains("."), host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-".contains($0)) }) else {
            throw bad("host \"\(host)\" is not a domain name")
        }
        var segments = rest.lowercased().split(separator: "/").map(String.init)
        if var last = segments.popLast() {
            if last.hasSuffix(".git") { last = String(last.dropLast(4)) }
            if !last.isEmpty { segments.append(last) }
        }
        guard !segments.isEmpty else { throw bad("no repository path after the host") }
        return ScanTarget(kind: .repo, raw: text, key: host + "/" + segments.joined(separator: "/"), version: "*")
    }

    // MARK: CPE 2.3 formatted strings (NISTIR 7695)

    static func cpe23(_ text: String, path: String) throws -> ScanTarget {
        func bad(_ reason: String) -> DomainError { .invalid(field: path, reason: "CPE 2.3 name \(reason)") }
        // Split on colons that are not escaped with a backslash.
        var parts: [String] = [], current = "", escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { current.append(ch); escaped = true; continue }
            if ch == ":" { parts.append(current); current = ""; continue }
            current.append(ch)
        }
        guard !escaped else { throw bad("ends with a lone backslash") }
        parts.append(current)
        guard parts.count == 13, parts[0].lowercased() == "cpe", parts[1] == "2.3" else {
            throw bad("must be cpe:2.3: followed by 11 attributes separated by ':' (found \(max(0, parts.count - 2)))")
        }
        let names = ["part", "vendor", "product", "version"] + Array(cpeAttributes.dropFirst(3))
        var values: [String] = []
        for (name, raw) in zip(names, parts.dropFirst(2)) {
            let value = raw.lowercased()
            guard !value.isEmpty else { throw bad("attribute \(name) is empty (use * for any)") }
            if value != "*" && value != "-" {
                var escape = false
                for (i, ch) in value.enumerated() {
                    if escape { escape = false; continue }
                    if ch == "\\" { escape = true; continue }
                    if ch == "*" || ch == "?" {
                        let atEdge = i == 0 || i == value.count - 1
                        throw bad(atEdge ? "attribute \(name): partial wildcards (\(value)) are not supported; use * for the whole attribute"
                                         : "attribute \(name): an unescaped \(ch) may only stand alone")
                    }
                    guard ch.isASCII, ch.isLetter || ch.isNumber || "._-~".contains(ch) else {
                        throw bad("attribute \(name) has \"\(ch)\"; escape punctuation with a backslash")
                    }
                }
            }
            values.append(value)
        }
        guard ["a", "o", "h", "*"].contains(values[0]) else { throw bad("part must be a, o, h or * (found \(values[0]))") }
        let version = values.remove(at: 3)
        return ScanTarget(kind: .cpe, raw: text, key: (["cpe", "2.3"] + values[0...2] + [version] + values[3...]).joined(separator: ":"),
                          version: version, cpe: values)
    }
}
