// Real databases for tests: a fresh SQLite file in a temporary folder, always; and, when
// CLEARINGHOUSE_TEST_POSTGRES_URL is set (CI always sets it), a fresh PostgreSQL schema per test,
// dropped afterwards. Contract tests take an `Engine` argument so each runs on both.
import Foundation
import Logging
import Platform

public enum Engine: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL when the environment names a server.
    public static var available: [Engine] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    public static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["CLEARINGHOUSE_TEST_POSTGRES_URL"]
        return (url?.isEmpty ?? true) ? nil : url
    }

    public var testDescription: String { rawValue }
}


public struct TestDatabase: Sendable {
    public let db: any Database
    public let storage: StorageConfiguration
    let cleanup: @Sendable () async -> Void

    public func close() async {
        try? await db.close()
        await cleanup()
    }

    /// A second, independent `Database` over the same file or schema, standing in for another
    /// server process. The caller closes it.
    public func openAnother() async throws -> any Database {
        try await storage.open(logger: TestDatabases.logger, maximumConnections: 2)
    }
}

public enum TestDatabases {
    static let logger: Logger = {
        var logger = Logger(label: "test.db")
        logger.logLevel = .error
        return logger
    }()

    /// A fresh, migrated database on `engine`. Call `close()` when done.
    public static func make(_ engine: Engine, migrate: Bool = true, migrations: [Migration] = Schema.platform) async throws -> TestDatabase {
        let test = try await makeUnmigrated(engine)
        if migrate { try await Migrator(migrations).migrate(test.db) }
        return test
    }

    static func makeUnmigrated(_ engine: Engine) async throws -> TestDatabase {
        switch engine {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch-test-\(UUID().uuidString)").path
            let storage = StorageConfiguration(dataDirectory: folder)
            let db = try await storage.open(logger: logger)
            return TestDatabase(db: db, storage: storage, cleanup: { try? FileManager.default.removeItem(atPath: folder) })
        case .postgres:
            guard let base = Engine.postgresURL else { throw StorageError.badURL("CLEARINGHOUSE_TEST_POSTGRES_URL is not set") }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let admin = try await PostgresDatabase.open(url: base, maximumConnections: 1, logger: logger)
            try await admin.write { try await $0.execute("CREATE SCHEMA \(schema)") }
            try await admin.close()
            let url = base + (base.contains("?") ? "&" : "?") + "search_path=\(schema)"
            let storage = StorageConfiguration(databaseURL: url)
            let db = try await storage.open(logger: logger, maximumConnections: 4)
            return TestDatabase(db: db, storage: storage, cleanup: {
                if let admin = try? await PostgresDatabase.open(url: base, maximumConnections: 1, logger: logger) {
                    try? await admin.write { try await $0.execute("DROP SCHEMA \(schema) CASCADE") }
                    try? await admin.close()
                }
            })
        }
    }

    /// Runs `body` with a fresh database and always closes it.
    public static func with<T: Sendable>(_ engine: Engine, migrate: Bool = true, migrations: [Migration] = Schema.platform,
                                         _ body: (TestDatabase) async throws -> T) async throws -> T {
        let test = try await make(engine, migrate: migrate, migrations: migrations)
        do {
            let result = try await body(test)
            await test.close()
            return result
        } catch {
            await test.close()
            throw error
        }
    }
}

/// A clock tests move by hand.
public final class ManualClock: Sendable {
    private let current: MutexBox<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) { current = MutexBox(start) }

    public var clock: Clock { Clock { [current] in current.value } }
    public func advance(by seconds: TimeInterval) { current.update { $0.addingTimeInterval(seconds) } }
    public var now: Date { current.value }
}

import Synchronization

final class MutexBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update(_ change: (Value) -> Value) { mutex.withLock { $0 = change($0) } }
}
