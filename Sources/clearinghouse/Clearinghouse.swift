// The `clearinghouse` binary: one executable, explicit roles as subcommands. Each command parses
// its options, opens what it needs through the shared configuration reader, and calls into the
// library targets; no logic lives here.
import ArgumentParser
import Foundation
import Logging
import Platform
import Server

@main
struct Clearinghouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearinghouse",
        abstract: "Voluntary frontier-AI security review and vulnerability coordination (EO 14409).",
        version: "0.1.0",
        subcommands: [
            Serve.self, Worker.self, Migrate.self, Admin.self, Audit.self, Diagnose.self, Compute.self, Assess.self,
            FrontierCommand.self, Eval.self, CVSSCommand.self, VulnsCommand.self, Intel.self, IncidentCommand.self,
        ])
}

/// `--data-dir` and `--database`, shared by every command that touches the database.
struct StorageOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Folder for the SQLite database and key file (default ./clearinghouse-data, env CLEARINGHOUSE_DATA_DIR).")
    var dataDir: String?

    @Option(name: .customLong("database"), help: "A postgres:// URL to use PostgreSQL instead of SQLite (env CLEARINGHOUSE_DATABASE_URL).")
    var database: String?

    func resolve() throws -> StorageConfiguration {
        try StorageConfiguration.resolve(dataDir: dataDir, database: database)
    }

    /// Opens the database, migrates it, runs `body`, and closes it whatever happens.
    func withDatabase<T: Sendable>(logger: Logger, migrate: Bool = true, _ body: @Sendable (any Database) async throws -> T) async throws -> T {
        let configuration = try resolve()
        let db = try await configuration.open(logger: logger, maximumConnections: 4)
        do {
            if migrate { try await Installation.migrator.migrate(db) }
            let result = try await body(db)
            try await db.close()
            return result
        } catch {
            try? await db.close()
            throw error
        }
    }
}

func commandLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

/// Errors a person can act on are printed plainly, without a stack of type names.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The reader a command acts as (`--user NAME`): refuses a missing or disabled user, as signing in does.
func activeReader(named name: String, on db: any Database) async throws -> Reader {
    let directory = Directory(db: db)
    guard let user = try await directory.user(named: name), !user.disabled else { throw Failure("no active user named \(name)") }
    return try await directory.reader(for: user)
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations and exit.")
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let migrator = Installation.migrator
        let applied = try await storage.withDatabase(logger: commandLogger("clearinghouse.migrate"), migrate: false) { db in
            try await migrator.migrate(db)
        }
        if applied.isEmpty {
            print("Database is up to date at schema version \(migrator.latestVersion).")
        } else {
            print("Applied migrations \(applied.map(String.init).joined(separator: ", ")); schema version \(migrator.latestVersion).")
        }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit",
        abstract: "Check or anchor the tamper-evident audit log.", subcommands: [Verify.self, Head.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the whole hash chain; exit 1 naming the first broken entry.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let result = try await storage.withDatabase(logger: commandLogger("clearinghouse.audit"), migrate: false) { db in
                try await Installation.migrator.checkCurrent(db)
                return try await AuditLog.verify(db)
            }
            switch result {
            case .valid(let entries, let head):
                print("audit log valid: \(entries) entries, head \(head)")
            case .broken(let seq, let reason):
                print("audit log BROKEN at entry \(seq): \(reason)")
                throw ExitCode(1)
            }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "head", abstract: "Print the current head (entry number and hash) to anchor elsewhere.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let head = try await storage.withDatabase(logger: commandLogger("clearinghouse.audit"), migrate: false) { db in
                try await Installation.migrator.checkCurrent(db)
                return try await AuditLog.head(db)
            }
            print("\(head.seq) \(head.hash)")
        }
    }
}

/// Writes a line to standard output at once, unbuffered, so a supervisor or a test reading the
/// pipe sees it immediately.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
