// Decides which case a new report belongs to. The rules, strongest first:
//  1. A shared SARIF fingerprint, crash signature or locus key joins the case of the matching report.
//  2. A shared alias (CVE, GHSA, OSV id) joins it too, unless the two reports name different CVEs
//     and no common one: then a reviewer decides. That stops osv.dev's transitive failure, where
//     CVE-1 ~ GHSA-x ~ CVE-2 chains two distinct vulnerabilities (often in different packages) into one.
//  3. Otherwise, text similarity against recent reports of the same package: at or above
//     `autoMergeSimilarity` it joins, at or above `candidateSimilarity` a reviewer is asked; never
//     between two reports that carry different ids from the same database (two RUSTSEC ids, say).
// Existing cases are never merged with each other automatically: when a report's keys point at
// several cases it joins the strongest and the rest become reviewer candidates.
import Foundation
import Platform

public enum MatchDecision: Sendable, Equatable {
    case join(caseId: String, reason: String)
    case newCase(candidates: [CandidateMatch])
}

public struct CandidateMatch: Sendable, Equatable {
    public let caseId: String
    public let score: Double
    public let reason: String
}

struct CaseMatcher {
    let store: VulnerabilityStore

    /// CVE identifiers among aliases.
    static func cves(_ aliases: some Sequence<String>) -> Set<String> { Set(aliases.filter { $0.hasPrefix("CVE-") }) }

    /// Two reports name distinct vulnerabilities when both carry CVEs and share none.
    static func conflicting(_ a: Set<String>, _ b: Set<String>) -> Bool { !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) }

    /// For text matches, stricter: any identifier namespace (CVE, GHSA, PYSEC, RUSTSEC, …) in which
    /// both reports have identifiers but none in common. A database gives one vulnerability one id,
    /// so two ids from the same database are two vulnerabilities however alike their prose.
    static func namespacesConflict(_ a: [String], _ b: [String]) -> Bool {
        func byNamespace(_ ids: [String]) -> [Substring: Set<String>] {
            Dictionary(grouping: ids, by: { $0.prefix { $0 != "-" } }).mapValues(Set.init)
        }
        let left = byNamespace(a), right = byNamespace(b)
        return left.contains { namespace, ids in right[namespace].map { ids.isDisjoint(with: $0) } ?? false }
    }

    func decide(_ draft: ReportDraft, keys: Set<DedupKey>, index: MatchIndex) async throws -> MatchDecision {
        let myCVEs = Self.cves(draft.aliases)
        var strong: [String: (score: Double, reason: String)] = [:]   // case → best exact match
        var review: [String: (score: Double, reason: String)] = [:]
        func note(_ table: inout [String: (score: Double, reason: String)], _ caseId: String, _ score: Double, _ reason: String) {
            if (table[caseId]?.score ?? -1) < score { table[caseId] = (score, reason) }
        }
        // Which report matched only matters when this report has CVEs (a conflict is possible) or
        // packages (same package ranks higher); otherwise the cases a key points at are enough.
        let detailed = !myCVEs.isEmpty || !draft.packageKeys.isEmpty
        // Keys strongest kind first, so the reason given for a case matched twice is always the same.
        let order = DedupKeyKind.allCases
        for key in keys.sorted(by: { (order.firstIndex(of: $0.kind)!, $0.value) < (order.firstIndex(of: $1.kind)!, $1.value) }) {
            for hit in try await index.keyHits(key, detailed: detailed) {
                let theirCVEs = Self.cves(hit.aliases)
                let samePackage = !draft.packageKeys.isDisjoint(with: hit.packages)
                let label = key.kind == .alias ? "alias \(key.value)" : key.kind.rawValue
                if Self.conflicting(myCVEs, theirCVEs) {
                    note(&review, hit.caseId, 0.7, "\(label) shared, but different CVEs (\(theirCVEs.sorted().joined(separator: " ")))")
                } else {
                    // Same package outranks another package for the same key.
                    note(&strong, hit.caseId, samePackage ? 1.0 : 0.95, label)
                }
            }
        }
        if strong.isEmpty && !draft.packageKeys.isEmpty {
            let mine = TextSimilarity.tokens(draft.similarityText)
            for package in draft.packageKeys.sorted().prefix(5) {
                for hit in try await index.recentReports(package: package) {
                    let caseId = hit.caseId
                    if Self.namespacesConflict(draft.aliases, hit.aliases) { continue }
                    let score = TextSimilarity.jaccard(mine, hit.tokens)
                    let rounded = (score * 100).rounded() / 100
                    if score >= store.autoMergeSimilarity {
                        note(&strong, caseId, 0.9 * score, "text similarity \(rounded) in \(package)")
                    } else if score >= store.candidateSimilarity {
                        note(&review, caseId, score, "text similarity \(rounded) in \(package)")
                    }
                }
            }
        }
        if let best = strong.sorted(by: { ($0.value.score, $1.key) > ($1.value.score, $0.key) }).first {
            return .join(caseId: best.key, reason: best.value.reason)
        }
        let candidates = review.map { CandidateMatch(caseId: $0.key, score: $0.value.score, reason: $0.value.reason) }
            .sorted { ($0.score, $1.caseId) > ($1.score, $0.caseId) }
        return .newCase(candidates: Array(candidates.prefix(10)))
    }
}
