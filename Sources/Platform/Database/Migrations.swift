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

public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration] = Schema.migrations) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The schema version the database is at (0 when nothing was ever applied).
    public func currentVersion(_ db: any Database) async throws -> Int {
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
            guard exists else { return 0 }
            return Int(try await conn.scalarInt("SELECT coalesce(max(version), 0) FROM schema_migrations"))
        }
    }

    /// Applies every migration newer than the database, each in its own transaction. Returns the
    /// versions applied.
    @discardableResult
    public func migrate(_ db: any Database, now: Date = Date()) async throws -> [Int] {
        var applied: [Int] = []
        try await db.write { conn in
            try await conn.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """)
        }
        for migration in migrations {
            let did = try await db.write { conn -> Bool in
                if conn.engine == .postgres {
                    // Another process may be migrating: wait for it, then re-check inside the lock.
                    try await conn.execute("SELECT pg_advisory_xact_lock(14409)")
                }
                let current = try await conn.scalarInt("SELECT coalesce(max(version), 0) FROM schema_migrations")
                guard current < Int64(migration.version) else { return false }
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
        let current = try await currentVersion(db)
        if current > latestVersion { throw StorageError.unsupportedSchema(found: current, known: latestVersion) }
        return applied
    }

    /// Throws unless the database is at exactly the version this binary expects.
    public func checkCurrent(_ db: any Database) async throws {
        let current = try await currentVersion(db)
        if current > latestVersion { throw StorageError.unsupportedSchema(found: current, known: latestVersion) }
        if current < latestVersion { throw StorageError.notMigrated(current: current, expected: latestVersion) }
    }
}
