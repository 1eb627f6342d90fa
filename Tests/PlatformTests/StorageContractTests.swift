// The storage contract: the same tests on SQLite and on PostgreSQL (when CI provides one). What
// they assert is what a user would notice: migrations that leave the schema usable, transactions
// that leave nothing half-written, values that come back as they went in.
import Foundation
import Platform
import Testing
import TestSupport

@Suite("Storage contract")
struct StorageContractTests {
    @Test("migrations apply once and report the latest version", arguments: Engine.available)
    func migrations(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrate: false) { test in
            let migrator = Migrator(Schema.platform)
            #expect(try await migrator.currentVersion(test.db) == 0)
            await #expect(throws: StorageError.self) { try await migrator.checkCurrent(test.db) }
            let first = try await migrator.migrate(test.db)
            #expect(first == migrator.migrations.map(\.version))
            #expect(try await migrator.migrate(test.db).isEmpty)
            #expect(try await migrator.currentVersion(test.db) == migrator.latestVersion)
            try await migrator.checkCurrent(test.db)
        }
    }

    @Test("concurrent migrators apply each migration exactly once", arguments: Engine.available)
    func concurrentMigrations(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrate: false) { test in
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator(Schema.platform).migrate(test.db) } }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(results.sorted() == Migrator(Schema.platform).migrations.map(\.version))
        }
    }

    @Test("a migration added later in a lower range is still applied", arguments: Engine.available)
    func setBasedMigrations(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrate: false) { test in
            let late = Migration(version: 300, name: "late area", sql: ["CREATE TABLE late_area (id TEXT PRIMARY KEY)"])
            let early = Migration(version: 150, name: "early area", sql: ["CREATE TABLE early_area (id TEXT PRIMARY KEY)"])
            #expect(try await Migrator(Schema.platform + [late]).migrate(test.db).last == 300)
            // A binary that also knows 150 applies it even though 300 is already there.
            #expect(try await Migrator(Schema.platform + [late, early]).migrate(test.db) == [150])
            try await Migrator(Schema.platform + [late, early]).checkCurrent(test.db)
            // A binary that knows neither refuses the database rather than run against it.
            await #expect(throws: StorageError.self) { try await Migrator(Schema.platform).checkCurrent(test.db) }
        }
    }

    @Test("a database newer than the binary is refused", arguments: Engine.available)
    func newerSchemaRefused(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await test.db.write { conn in
                try await conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)")
            }
            await #expect(throws: StorageError.self) { try await Migrator(Schema.platform).checkCurrent(test.db) }
        }
    }

    @Test("placeholders are found outside quotes only: a quote inside an identifier or a $ inside text is left alone",
          arguments: Engine.available)
    func placeholdersOutsideQuotes(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await test.db.write { conn in
                try await conn.execute(#"CREATE TABLE quoting ("it's" TEXT, "cost$" TEXT)"#)
                try await conn.execute(#"INSERT INTO quoting ("it's", "cost$") VALUES ($1, 'fee: $2 ''or'' $3')"#, [.text("a$1")])
            }
            let row = try #require(try await test.db.read { conn in
                try await conn.first(#"SELECT "it's" AS name, "cost$" AS cost, $1 AS bound FROM quoting WHERE "it's" = $2"#,
                                     [.text("first"), .text("a$1")])
            })
            #expect(try row.string("name") == "a$1")
            #expect(try row.string("cost") == "fee: $2 'or' $3")
            #expect(try row.string("bound") == "first")
        }
    }

    @Test("values round-trip through both engines", arguments: Engine.available)
    func roundTrip(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await test.db.write { conn in
                try await conn.execute("CREATE TABLE rt (k TEXT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, b \(conn.engine == .postgres ? "BYTEA" : "BLOB"))")
                try await conn.execute(
                    "INSERT INTO rt (k, i, d, t, b) VALUES ($1, $2, $3, $4, $5)",
                    [.text("a"), .int(Int64.max), .double(1.5e25), .text("ünïcödé 'quoted' $1"), .blob([0, 1, 255])])
                try await conn.execute("INSERT INTO rt (k, i, d, t, b) VALUES ($1, $2, $3, $4, $5)", [.text("n"), .null, .null, .null, .null])
            }
            let rows = try await test.db.read { try await $0.query("SELECT k, i, d, t, b FROM rt ORDER BY k") }
            #expect(rows.count == 2)
            #expect(try rows[0].int("i") == Int64.max)
            #expect(try rows[0].double("d") == 1.5e25)
            #expect(try rows[0].string("t") == "ünïcödé 'quoted' $1")
            #expect(try rows[0].bytes("b") == [0, 1, 255])
            #expect(rows[1]["i"] == .null && rows[1]["t"] == .null && rows[1]["b"] == .null)
        }
    }

    @Test("placeholders inside quoted text and non-ASCII SQL are left alone", arguments: Engine.available)
    func placeholdersInLiterals(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let rows = try await test.db.read { conn in
                try await conn.query("SELECT 'ünï $1 ''$2''' AS lit, $1 AS v, $2 AS w", [.text("bound"), .int(7)])
            }
            #expect(try rows[0].string("lit") == "ünï $1 '$2'")
            #expect(try rows[0].string("v") == "bound")
            #expect(try rows[0].int("w") == 7)
        }
    }

    @Test("a failed write transaction leaves nothing behind", arguments: Engine.available)
    func rollback(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            struct Boom: Error {}
            let before = try await AuditLog.head(test.db)
            await #expect(throws: Boom.self) {
                try await test.db.write { conn in
                    try await conn.execute(
                        "INSERT INTO organisations (id, name, kind, created_at) VALUES ('x', 'Half', 'defender', 0)")
                    try await AuditLog.append(AuditEvent(actor: "t", action: "org.create", target: "org:x"), at: Date(), on: conn)
                    throw Boom()
                }
            }
            #expect(try await Directory(db: test.db).organisation(id: "x") == nil)
            let after = try await AuditLog.head(test.db)
            #expect(after.seq == before.seq && after.hash == before.hash)
        }
    }

    @Test("the schema rejects records that break its invariants", arguments: Engine.available)
    func constraints(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            await #expect(throws: (any Error).self) {
                try await test.db.write { conn in
                    try await conn.execute("INSERT INTO organisations (id, name, kind, created_at) VALUES ('o', 'O', 'pirate', 0)")
                }
            }
            await #expect(throws: (any Error).self) {
                try await test.db.write { conn in
                    try await conn.execute(
                        "INSERT INTO users (id, name, org_id, role, created_at) VALUES ('u', 'u', 'no-such-org', 'member', 0)")
                }
            }
        }
    }
}
