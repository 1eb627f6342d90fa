// The storage seam: every domain module reaches the database through these two protocols, never
// through a driver. SQL is written once with PostgreSQL-style `$1` placeholders; the SQLite engine
// rewrites them to its numbered `?1` form. Both engines are exercised by the same contract tests.
import Foundation

public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
}

/// A connection lent to a closure: inside `Database.write` it is inside a transaction.
public protocol SQLConnection: Sendable {
    var engine: DatabaseEngine { get }
    /// Runs one statement and returns its rows (none for statements without results or RETURNING).
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLConnection {
    public func query(_ sql: String, _ binds: SQLValue...) async throws -> [SQLRow] {
        try await query(sql, binds)
    }

    public func execute(_ sql: String, _ binds: [SQLValue] = []) async throws {
        _ = try await query(sql, binds)
    }

    public func first(_ sql: String, _ binds: [SQLValue] = []) async throws -> SQLRow? {
        try await query(sql, binds).first
    }

    public func scalarInt(_ sql: String, _ binds: [SQLValue] = []) async throws -> Int64 {
        guard let row = try await query(sql, binds).first, let value = row.values.first else { return 0 }
        switch value {
        case .int(let i): return i
        case .double(let d): return Int64(d)
        case .text(let s): return Int64(s) ?? 0
        default: return 0
        }
    }
}

/// Connection-pool figures for `/metrics`.
public struct PoolStatistics: Sendable {
    public var engine: DatabaseEngine
    public var maximumConnections: Int
    public var connectionsInUse: Int
    public var waiting: Int
    public var transactionsCommitted: Int
    public var transactionsRolledBack: Int
}

/// A database: reads run on any pooled connection, writes run in one transaction each.
public protocol Database: Sendable {
    var engine: DatabaseEngine { get }
    /// A description safe to log (no password).
    var displayName: String { get }

    func read<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T
    func statistics() -> PoolStatistics
    func close() async throws
}

/// Placeholder lists for set-based statements (`IN (…)` lists, multi-row `VALUES`), in the seam's
/// `$n` form that both engines accept.
public enum SQLPlaceholders {
    /// `$from, $from+1, …` for `count` values.
    public static func list(_ count: Int, from first: Int) -> String {
        (first..<(first + count)).map { "$\($0)" }.joined(separator: ", ")
    }
}
