// Compiled regular expressions, kept by pattern and options. Scorers match the same few patterns
// against every sample; compiling them per sample was a visible share of a run's CPU time.
// NSRegularExpression is immutable once built and safe to match from several threads.
import Foundation
import Synchronization

enum RegexCache {
    private final class Compiled: @unchecked Sendable {
        let regex: NSRegularExpression
        init(_ regex: NSRegularExpression) { self.regex = regex }
    }

    private struct Key: Hashable {
        var pattern: String
        var options: UInt
    }

    /// Bounded so that patterns built from untrusted suites cannot grow it without limit.
    private static let limit = 256
    private static let cache = Mutex<[Key: Compiled]>([:])

    /// The compiled expression, or the compiler's error (not cached).
    static func regex(_ pattern: String, options: NSRegularExpression.Options = []) throws -> NSRegularExpression {
        let key = Key(pattern: pattern, options: options.rawValue)
        if let hit = cache.withLock({ $0[key] }) { return hit.regex }
        let compiled = Compiled(try NSRegularExpression(pattern: pattern, options: options))
        cache.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = compiled
        }
        return compiled.regex
    }
}
