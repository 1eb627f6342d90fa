// What makes two reports "the same vulnerability", as keys that can be looked up in an index:
// shared identifiers (CVE, GHSA, OSV ids), SARIF fingerprints, a crash signature normalised in
// ClusterFuzz's manner, and the locus (package, affected range, weakness, location). Text
// similarity is the last resort, computed only between reports that already share a package or
// a weakness and location. Everything here is pure; `CaseMatcher` decides what to do with a match.
import Foundation
import Platform

/// The kinds of exact key, strongest first.
public enum DedupKeyKind: String, Sendable, Codable, CaseIterable {
    case alias, fingerprint, crash, locus
}

public struct DedupKey: Sendable, Hashable, Codable {
    public let kind: DedupKeyKind
    public let value: String
    public init(kind: DedupKeyKind, value: String) {
        self.kind = kind
        self.value = value
    }
}

public enum CrashSignature {
    /// Frames that say where the sanitizer or fuzzer caught the bug, not where the bug is: name
    /// prefixes, and exact names (allocators, libc string functions sanitizers intercept, process entry).
    static let ignoredPrefixes: [String] = [
        "__asan", "__msan", "__tsan", "__lsan", "__ubsan", "__hwasan", "__sanitizer", "__interceptor_", "___interceptor_",
        "asan_", "msan_", "tsan_", "lsan_", "ubsan_", "hwasan_", "operator new", "operator delete", "LLVMFuzzer",
        "fuzzer::", "afl_", "__afl_", "honggfuzz", "__libc_", "__GI_", "std::panicking::", "core::panicking::",
        "rust_panic", "__rust_",
    ]
    static let ignoredNames: Set<String> = [
        "malloc", "calloc", "realloc", "free", "valloc", "memalign", "posix_memalign", "aligned_alloc", "reallocarray",
        "je_malloc", "tc_malloc", "dlmalloc", "dlfree", "memcpy", "memmove", "memset", "memcmp", "strlen", "strnlen",
        "strcpy", "strncpy", "strcmp", "strncmp", "strcat", "bcmp", "abort", "raise", "_start", "start_thread", "clone",
        "clone3", "main",
    ]

    /// A frame reduced to its function name: `#3 0x4f2a1 in png_read_row(png_struct*, ...) pngread.c:512:7`
    /// becomes `png_read_row`. Addresses, offsets, parameter lists, template arguments, file and
    /// line are dropped. Digits inside names stay (`ssl3_read` is not `ssl2_read`); numbering that
    /// varies between builds (`lambda#2`, `$_0`, `.cold.1`) becomes `N`.
    public static func normaliseFrame(_ raw: String) -> String {
        // Each pattern runs only when the text holds what it must match (most frames hold none).
        var s = trimmed(raw)
        if s.hasPrefix("#") { s = Pattern.frameNumber.replace(in: s, with: "") }
        if s.hasPrefix("0x") { s = Pattern.leadingAddress.replace(in: s, with: "") }
        if s.hasPrefix("in") { s = Pattern.leadingIn.replace(in: s, with: "") }
        if s.contains(".") { s = Pattern.sourceFile.replace(in: s, with: "") }
        if s.contains("+0x") { s = Pattern.moduleOffset.replace(in: s, with: "") }
        if s.contains("(anonymous namespace)::") { s = Pattern.anonymousNamespace.replace(in: s, with: "") }
        s = stripBracketed(s, open: "<", close: ">")
        s = stripBracketed(s, open: "(", close: ")")
        if s.contains("0x") { s = Pattern.anyAddress.replace(in: s, with: "") }
        if s.contains("#") || s.contains("$_") || s.contains(".") { s = Pattern.buildNumbering.replace(in: s, with: "$1N") }
        return trimmed(s)
    }

    /// `text` without leading and trailing spaces and tabs (`CharacterSet.whitespaces`).
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let isSpace = { (u: Unicode.Scalar) in CharacterSet.whitespaces.contains(u) }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }

    /// Removes balanced bracketed groups (parameter lists, template arguments); `operator<` survives
    /// because an unbalanced bracket is kept.
    static func stripBracketed(_ s: String, open: Character, close: Character) -> String {
        var out = ""
        var depth = 0
        var pending = ""
        for ch in s {
            if ch == open {
                depth += 1
                pending.append(ch)
            } else if ch == close && depth > 0 {
                depth -= 1
                pending.append(ch)
                if depth == 0 { pending = "" }
            } else if depth > 0 {
                pending.append(ch)
            } else {
                out.append(ch)
            }
        }
        return out + pending
    }

    public static func isIgnored(_ frame: String) -> Bool {
        ignoredNames.contains(frame) || ignoredPrefixes.contains { frame.hasPrefix($0) }
    }

    /// The crash type, lowercased with numbers normalised (`Heap-buffer-overflow READ 4` →
    /// `heap-buffer-overflow read N`).
    public static func normaliseType(_ type: String) -> String {
        Pattern.number.replace(in: Pattern.address.replace(in: type.lowercased(), with: ""), with: "N")
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Crash type plus the top `depth` meaningful frames, one per line; nil when no frame is left.
    public static func signature(_ crash: CrashReport, depth: Int = 3) -> String? {
        var frames: [String] = []
        for raw in crash.frames {
            let frame = normaliseFrame(raw)
            if frame.isEmpty || isIgnored(frame) { continue }
            frames.append(frame)
            if frames.count == depth { break }
        }
        guard !frames.isEmpty else { return nil }
        return ([normaliseType(crash.type)] + frames).joined(separator: "\n")
    }
}

/// A regular expression compiled once (compiling one per frame was most of the cost of intake).
struct Pattern: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ pattern: String) { regex = try! NSRegularExpression(pattern: pattern) }

    /// `text` with every match replaced by `template` (`$1` refers to the first group).
    func replace(in text: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }

    /// `#3 ` at the start
    static let frameNumber = Pattern(#"^#\d+\s+"#)
    /// an address at the start, with `in`
    static let leadingAddress = Pattern(#"^0x[0-9a-fA-F]+\s+(in\s+)?"#)
    /// `in ` at the start
    static let leadingIn = Pattern(#"^in\s+"#)
    /// a source file and line at the end
    static let sourceFile = Pattern(#"\s+\(?[^\s()]*\.(c|cc|cpp|cxx|h|hpp|rs|go|py|java|js|ts|swift|m|mm)(:\d+)*\)?$"#)
    /// a module and offset at the end
    static let moduleOffset = Pattern(#"\s*\(.*\+0x[0-9a-fA-F]+\)$"#)
    /// `(anonymous namespace)::`
    static let anonymousNamespace = Pattern(#"\(anonymous namespace\)::"#)
    /// any address
    static let anyAddress = Pattern(#"0x[0-9a-fA-F]+"#)
    /// numbering that varies between builds
    static let buildNumbering = Pattern(#"(#|\$_|\.cold\.|\.isra\.|\.constprop\.|\.part\.)\d+"#)
    /// Addresses and numbers in a crash type.
    static let address = Pattern(#"0x[0-9a-f]+"#)
    static let number = Pattern(#"\d+"#)
}

public enum TextSimilarity {
    /// Lowercased word tokens of three letters or more, numbers kept (version numbers tell reports apart).
    public static func tokens(_ text: String) -> Set<String> {
        var out = Set<String>()
        for word in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) where word.count >= 3 {
            out.insert(String(word))
        }
        return out
    }

    /// Jaccard similarity of the two token sets, 0...1.
    public static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        if a.isEmpty && b.isEmpty { return 0 }
        let shared = a.intersection(b).count
        return Double(shared) / Double(a.count + b.count - shared)
    }
}

extension ReportDraft {
    /// Every exact key of this report.
    public var dedupKeys: [DedupKey] { dedupKeys(crashSignature: crashSignature) }

    /// The normalised crash signature, if the report has a crash with a meaningful frame.
    public var crashSignature: String? { crash.flatMap { CrashSignature.signature($0) } }

    /// Every exact key, given the crash signature already computed (it is the costly part).
    func dedupKeys(crashSignature: String?) -> [DedupKey] {
        var keys: [DedupKey] = []
        for alias in aliases { keys.append(DedupKey(kind: .alias, value: alias)) }
        for fingerprint in fingerprints { keys.append(DedupKey(kind: .fingerprint, value: fingerprint)) }
        if let signature = crashSignature {
            keys.append(DedupKey(kind: .crash, value: Secrets.sha256Hex(signature)))
        }
        // The locus needs a weakness and a location or a range to be specific enough to merge on.
        if let weakness = weaknesses.first {
            for package in packages where !(package.ranges.isEmpty && location == nil) {
                let locus = [package.key, package.ranges.lowercased(), weakness, location ?? ""].joined(separator: "|")
                keys.append(DedupKey(kind: .locus, value: Secrets.sha256Hex(locus)))
            }
            if packages.isEmpty, let location {
                keys.append(DedupKey(kind: .locus, value: Secrets.sha256Hex(["", "", weakness, location].joined(separator: "|"))))
            }
        }
        return keys
    }

    /// The packages as `ecosystem/name` keys, for the cross-package alias rule.
    public var packageKeys: Set<String> { Set(packages.map(\.key)) }

    public var similarityText: String { title + " " + details }
}
