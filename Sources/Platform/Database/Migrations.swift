// Numbered, append-only schema migrations. A shipped migration is never edited: a change is a new
// entry at the end. The same statements run on both engines unless a migration gives an engine its
// own text. Concurrent starters (several server processes on PostgreSQL) serialise on a lock.
import Foundation

public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: @Sendable (DatabaseEngine) -> [String]

    public init(version: Int, name: String, statements: @escaping @Sendable (DatabaseEngine) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    public init(version: Int, name: String, sql: [String]) {
        self.init(version: version, name: name, statements: { _ in sql })
    }
}

/// Applies migrations by set, not by maximum: each area of the product owns a range of version
/// numbers (platform 1–99, frontier 100–199, vulnerabilities 200–299, threat sharing 300–399,
/// benchmarks 400–499, defenders and incidents 500–599), and any migration not yet recorded is
/// applied, in version order.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The versions recorded in the database (empty when nothing was ever applied).
    public func appliedVersions(_ db: any Database) async throws -> Set<Int> {
        try await db.read { conn in
            let exists: Bool
            switch conn.engine {
            case .sqlite:
                exists = try await conn.scalarInt(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") > 0
            case .postgres:
                exists = try await conn.scalarInt(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'") > 0
            }
            guard exists else { return [] }
            return Set(try await conn.query("SELECT version FROM schema_migrations").map { Int(try $0.int("version")) })
        }
    }

    /// The highest version recorded (0 when nothing was ever applied).
    public func currentVersion(_ db: any Database) async throws -> Int {
        try await appliedVersions(db).max() ?? 0
    }

    /// Applies every migration the database lacks, each in its own transaction. Returns the
    /// versions applied.
    @discardableResult
    public func migrate(_ db: any Database, now: Date = Date()) async throws -> [Int] {
        try await db.write { conn in
            // Two processes starting together would race on CREATE TABLE IF NOT EXISTS on PostgreSQL.
            if conn.engine == .postgres { try await conn.execute("SELECT pg_advisory_xact_lock(14409)") }
            try await conn.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """)
        }
        try await refuseUnknown(db)
        var applied: [Int] = []
        for migration in migrations {
            let did = try await db.write { conn -> Bool in
                if conn.engine == .postgres {
                    // Another process may be migrating: wait for it, then re-check inside the lock.
                    try await conn.execute("SELECT pg_advisory_xact_lock(14409)")
                }
                let done = try await conn.scalarInt(
                    "SELECT count(*) FROM schema_migrations WHERE version = $1", [.int(Int64(migration.version))])
                guard done == 0 else { return false }
                for statement in migration.statements(conn.engine) {
                    try await conn.execute(statement)
                }
                try await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    [.int(Int64(migration.version)), .text(migration.name), .int(now.microsecondsSinceEpoch)])
                return true
            }
            if did { applied.append(migration.version) }
        }
        return applied
    }

    /// Throws unless the database holds exactly the migrations this binary knows.
    public func checkCurrent(_ db: any Database) async throws {
        try await refuseUnknown(db)
        let applied = try await appliedVersions(db)
        if let missing = migrations.first(where: { !applied.contains($0.version) }) {
            throw StorageError.notMigrated(current: applied.max() ?? 0, expected: missing.version)
        }
    }

    /// A database migrated by a newer binary is not touched by an older one.
    private func refuseUnknown(_ db: any Database) async throws {
        let known = Set(migrations.map(\.version))
        if let unknown = try await appliedVersions(db).subtracting(known).max() {
            throw StorageError.unsupportedSchema(found: unknown, known: latestVersion)
        }
    }
}
