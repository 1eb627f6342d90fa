// What deduplication compares a new report against: the stored reports, read once per chunk of
// a bulk upload (one set-based query per key kind instead of one query per key per report), plus
// the reports of the chunk itself, which are held here until the chunk is written at its end.
// A chunk of one report behaves exactly like the stored reports alone, so a single submission and
// a 1,000-result chunk reach the same cases (see the test `chunkedIntakeMatchesOneByOne`).
import Foundation
import Platform

/// A stored or pending report that shares a key: its case, and (when asked for) its identifiers
/// and packages, which decide whether a shared key is a conflict or a same-package match.
struct KeyHit: Hashable {
    let caseId: String
    let aliases: [String]
    let packages: Set<String>
}

/// A recent report of a package, for text similarity.
struct TextHit {
    let caseId: String
    let aliases: [String]
    let tokens: Set<String>
}

final class MatchIndex {
    /// Distinct (case, identifiers, packages) rows read per key when details matter.
    static let detailedLimit = 25
    /// Most recent reports of a package compared by text.
    static let recentLimit = 50

    private let conn: any SQLConnection
    private var storedCases: [DedupKey: [String]] = [:]
    private var storedDetails: [DedupKey: [KeyHit]] = [:]
    private var storedRecent: [String: [TextHit]] = [:]
    private var pendingHits: [DedupKey: [KeyHit]] = [:]
    private var pendingSeen: [DedupKey: Set<KeyHit>] = [:]
    private var pendingRecent: [String: [TextHit]] = [:]

    init(conn: any SQLConnection) {
        self.conn = conn
    }

    /// Reads, for every key, the distinct cases stored reports with that key belong to: one
    /// statement per key kind and 500 keys (an index-only scan of `vuln_report_keys_lookup`).
    func prefetch(_ keys: Set<DedupKey>) async throws {
        for key in keys where storedCases[key] == nil { storedCases[key] = [] }
        let byKind = Dictionary(grouping: keys, by: \.kind)
        for kind in byKind.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let values = byKind[kind]!.map(\.value).sorted()
            for start in stride(from: 0, to: values.count, by: 500) {
                let slice = values[start..<min(values.count, start + 500)]
                let rows = try await conn.query(
                    "SELECT DISTINCT value, case_id FROM vuln_report_keys WHERE kind = $1 AND value IN (\(SQLPlaceholders.list(slice.count, from: 2)))",
                    [.text(kind.rawValue)] + slice.map(SQLValue.text))
                for row in rows {
                    storedCases[DedupKey(kind: kind, value: try row.string("value")), default: []].append(try row.string("case_id"))
                }
            }
        }
        for key in keys { storedCases[key]?.sort() }
    }

    /// The reports sharing `key`, stored first, then those pending in this chunk. Without
    /// `detailed`, only the case of each hit is filled in.
    func keyHits(_ key: DedupKey, detailed: Bool) async throws -> [KeyHit] {
        let stored: [KeyHit]
        if detailed {
            if storedDetails[key] == nil {
                storedDetails[key] = try await conn.query(
                    """
                    SELECT DISTINCT k.case_id, r.aliases, r.packages FROM vuln_report_keys k JOIN vuln_reports r ON r.id = k.report_id
                    WHERE k.kind = $1 AND k.value = $2 ORDER BY k.case_id, r.aliases, r.packages LIMIT \(Self.detailedLimit)
                    """, [.text(key.kind.rawValue), .text(key.value)]).map { row in
                    KeyHit(caseId: try row.string("case_id"), aliases: LabelColumns.decodeList(try row.string("aliases")),
                           packages: Set(LabelColumns.decodeList(try row.string("packages"))))
                }
            }
            stored = storedDetails[key]!
        } else {
            if storedCases[key] == nil { try await prefetch([key]) }
            stored = storedCases[key]!.map { KeyHit(caseId: $0, aliases: [], packages: []) }
        }
        return stored + (pendingHits[key] ?? [])
    }

    /// The most recent reports of `package`, newest first: this chunk's, then the stored ones.
    func recentReports(package: String) async throws -> [TextHit] {
        if storedRecent[package] == nil {
            storedRecent[package] = try await conn.query(
                """
                SELECT r.case_id, r.title, r.details, r.aliases FROM vuln_report_packages p JOIN vuln_reports r ON r.id = p.report_id
                WHERE p.package = $1 ORDER BY r.received_at DESC, r.id LIMIT \(Self.recentLimit)
                """, [.text(package)]).map { row in
                TextHit(caseId: try row.string("case_id"), aliases: LabelColumns.decodeList(try row.string("aliases")),
                        tokens: TextSimilarity.tokens(try row.string("title") + " " + row.string("details")))
            }
        }
        let pending = (pendingRecent[package] ?? []).reversed()
        return Array((pending + storedRecent[package]!).prefix(Self.recentLimit))
    }

    /// Makes a report placed in `caseId` visible to the reports after it in the chunk.
    func record(_ draft: ReportDraft, keys: Set<DedupKey>, caseId: String) {
        let hit = KeyHit(caseId: caseId, aliases: draft.aliases, packages: draft.packageKeys)
        for key in keys where pendingSeen[key, default: []].insert(hit).inserted {
            pendingHits[key, default: []].append(hit)
        }
        guard !draft.packageKeys.isEmpty else { return }
        let text = TextHit(caseId: caseId, aliases: draft.aliases, tokens: TextSimilarity.tokens(draft.similarityText))
        for package in draft.packageKeys { pendingRecent[package, default: []].append(text) }
    }
}

/// Multi-row `INSERT … VALUES` for set-based statements (placeholder lists: `SQLPlaceholders`).
enum SQLList {
    /// Inserts `rows` into `table` with as many rows per statement as keep the binds under 2,000.
    static func insert(into table: String, columns: String, _ rows: [[SQLValue]], on conn: any SQLConnection) async throws {
        guard let width = rows.first?.count else { return }
        let perStatement = max(1, 2000 / width)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let slice = rows[start..<min(rows.count, start + perStatement)]
            var tuples: [String] = []
            tuples.reserveCapacity(slice.count)
            for i in 0..<slice.count { tuples.append("(\(SQLPlaceholders.list(width, from: i * width + 1)))") }
            try await conn.execute("INSERT INTO \(table) (\(columns)) VALUES \(tuples.joined(separator: ", "))", Array(slice.joined()))
        }
    }
}
