// The tamper-evident audit log. Every state change appends an entry, in the same transaction as
// the change, to a SHA-256 hash chain: each entry's hash covers its own fields and the previous
// entry's hash, and a one-row head records the last sequence number and hash. Editing, removing or
// reordering any entry, or truncating the tail, breaks the chain at a point `verify` names.
import Crypto
import Foundation

public struct AuditEntry: Sendable, Codable, Equatable {
    public var seq: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var target: String
    /// The change itself, as canonical JSON (sorted keys). Never holds a secret.
    public var detail: String
    public var changeDigest: String
    public var prevHash: String
    public var hash: String
}

/// What an action records: who did what to which record, and the change.
public struct AuditEvent: Sendable {
    public var actor: String
    public var action: String
    public var target: String
    public var detail: [String: String]

    public init(actor: String, action: String, target: String, detail: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }
}

public struct AuditFilter: Sendable {
    public var actor: String?
    public var action: String?
    public var target: String?
    public var since: Date?
    public var until: Date?
    /// Entries with a sequence number below this (for paging backwards from the newest).
    public var before: Int64?
    public var limit: Int

    public init(actor: String? = nil, action: String? = nil, target: String? = nil, since: Date? = nil,
                until: Date? = nil, before: Int64? = nil, limit: Int = 50) {
        self.actor = actor
        self.action = action
        self.target = target
        self.since = since
        self.until = until
        self.before = before
        self.limit = limit
    }
}

public enum AuditVerification: Sendable, Equatable {
    case valid(entries: Int64, head: String)
    /// The first entry at which the chain breaks, and how.
    case broken(seq: Int64, reason: String)
}

public enum AuditLog {
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Appends `event` inside the caller's write transaction. The head row's update takes a row
    /// lock, so concurrent writers (several processes on PostgreSQL) append one at a time.
    @discardableResult
    public static func append(_ event: AuditEvent, at date: Date, on conn: any SQLConnection) async throws -> AuditEntry {
        guard let head = try await conn.first("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash") else {
            throw StorageError.engine("audit head is missing; the database was not migrated")
        }
        let seq = try head.int("seq")
        let prev = try head.string("hash")
        let detail = canonicalJSON(event.detail)
        let digest = Secrets.sha256Hex(detail)
        let at = date.microsecondsSinceEpoch
        let hash = entryHash(seq: seq, at: at, actor: event.actor, action: event.action, target: event.target, changeDigest: digest, prevHash: prev)
        try await conn.execute(
            """
            INSERT INTO audit_log (seq, at, actor, action, target, detail, change_digest, prev_hash, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            [.int(seq), .int(at), .text(event.actor), .text(event.action), .text(event.target), .text(detail),
             .text(digest), .text(prev), .text(hash)])
        try await conn.execute("UPDATE audit_head SET hash = $1 WHERE id = 1", [.text(hash)])
        return AuditEntry(seq: seq, at: Date(microsecondsSinceEpoch: at), actor: event.actor, action: event.action,
                          target: event.target, detail: detail, changeDigest: digest, prevHash: prev, hash: hash)
    }

    /// The hash of one entry: SHA-256 over its length-prefixed fields, so no two field lists collide.
    public static func entryHash(seq: Int64, at: Int64, actor: String, action: String, target: String,
                                 changeDigest: String, prevHash: String) -> String {
        var material = ""
        for field in [String(seq), String(at), actor, action, target, changeDigest, prevHash] {
            material += "\(field.utf8.count):\(field)\n"
        }
        return Secrets.sha256Hex(material)
    }

    static func canonicalJSON(_ detail: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(detail) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The current head: sequence number and hash of the newest entry.
    public static func head(_ db: any Database) async throws -> (seq: Int64, hash: String) {
        try await db.read { conn in
            guard let row = try await conn.first("SELECT seq, hash FROM audit_head WHERE id = 1") else {
                throw StorageError.engine("audit head is missing; the database was not migrated")
            }
            return (try row.int("seq"), try row.string("hash"))
        }
    }

    /// Walks the whole chain in pages and names the first entry that does not hold.
    public static func verify(_ db: any Database, pageSize: Int = 5000) async throws -> AuditVerification {
        var expectedSeq: Int64 = 1
        var prevHash = genesisHash
        while true {
            let from = expectedSeq
            let rows = try await db.read { conn in
                try await conn.query(
                    "SELECT seq, at, actor, action, target, detail, change_digest, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                    [.int(from), .int(Int64(pageSize))])
            }
            for row in rows {
                let seq = try row.int("seq")
                if seq != expectedSeq {
                    return .broken(seq: expectedSeq, reason: "entry \(expectedSeq) is missing (the next entry present is \(seq))")
                }
                let entryPrev = try row.string("prev_hash")
                if entryPrev != prevHash {
                    return .broken(seq: seq, reason: "entry \(seq) does not link to entry \(seq - 1) (removed or reordered)")
                }
                let detail = try row.string("detail")
                let digest = try row.string("change_digest")
                if Secrets.sha256Hex(detail) != digest {
                    return .broken(seq: seq, reason: "entry \(seq) was edited: its detail does not match its digest")
                }
                let recomputed = entryHash(
                    seq: seq, at: try row.int("at"), actor: try row.string("actor"), action: try row.string("action"),
                    target: try row.string("target"), changeDigest: digest, prevHash: entryPrev)
                if recomputed != (try row.string("hash")) {
                    return .broken(seq: seq, reason: "entry \(seq) was edited: its hash does not match its fields")
                }
                prevHash = recomputed
                expectedSeq += 1
            }
            if rows.count < pageSize { break }
        }
        let head = try await self.head(db)
        let last = expectedSeq - 1
        if head.seq != last {
            return .broken(seq: last + 1, reason: "the head names entry \(head.seq) but the log ends at entry \(last) (entries removed from the end)")
        }
        if head.hash != prevHash {
            return .broken(seq: last, reason: "entry \(last) does not match the head's hash")
        }
        return .valid(entries: last, head: prevHash)
    }

    /// Newest first, filtered.
    public static func list(_ db: any Database, filter: AuditFilter) async throws -> [AuditEntry] {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        func add(_ condition: String, _ value: SQLValue) {
            binds.append(value)
            conditions.append(condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        if let actor = filter.actor, !actor.isEmpty { add("actor = ?", .text(actor)) }
        if let action = filter.action, !action.isEmpty { add("action = ?", .text(action)) }
        if let target = filter.target, !target.isEmpty { add("target = ?", .text(target)) }
        if let since = filter.since { add("at >= ?", .int(since.microsecondsSinceEpoch)) }
        if let until = filter.until { add("at < ?", .int(until.microsecondsSinceEpoch)) }
        if let before = filter.before { add("seq < ?", .int(before)) }
        binds.append(.int(Int64(max(1, min(filter.limit, 500)))))
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT seq, at, actor, action, target, detail, change_digest, prev_hash, hash FROM audit_log \(whereClause) ORDER BY seq DESC LIMIT $\(binds.count)"
        let captured = binds
        return try await db.read { conn in
            try await conn.query(sql, captured).map { row in
                AuditEntry(
                    seq: try row.int("seq"), at: Date(microsecondsSinceEpoch: try row.int("at")),
                    actor: try row.string("actor"), action: try row.string("action"), target: try row.string("target"),
                    detail: try row.string("detail"), changeDigest: try row.string("change_digest"),
                    prevHash: try row.string("prev_hash"), hash: try row.string("hash"))
            }
        }
    }
}
