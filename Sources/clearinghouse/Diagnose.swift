// `clearinghouse diagnose`: measurements an operator can take on their own hardware. They run on a
// throwaway database of their own (a temporary SQLite file, or a fresh PostgreSQL schema that is
// dropped afterwards) and never touch the installation's data.
import ArgumentParser
import Foundation
import Logging
import Platform

struct Diagnose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diagnose",
        abstract: "Measure this machine: audit-log throughput on a throwaway database.", subcommands: [AuditThroughput.self])

    struct AuditThroughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit-throughput",
            abstract: "Append audit entries (one transaction each) and verify the chain; prints JSON.")
        @Option(help: "A postgres:// URL to measure PostgreSQL (a schema is created and dropped); default: a temporary SQLite file.")
        var database: String?
        @Option(help: "Entries to append.") var count: Int = 5000
        @Option(help: "Concurrent writers.") var concurrency: Int = 1

        func validate() throws {
            guard (1...10_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000000") }
            guard (1...1000).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1000") }
        }

        func run() async throws {
            let logger = commandLogger("clearinghouse.diagnose")
            var cleanup: @Sendable () async -> Void = {}
            let db: any Database
            if let url = database {
                let schema = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
                let admin = try await PostgresDatabase.open(url: url, maximumConnections: 1, logger: logger)
                try await admin.write { try await $0.execute("CREATE SCHEMA \(schema)") }
                try await admin.close()
                db = try await PostgresDatabase.open(
                    url: url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)", maximumConnections: max(concurrency, 2), logger: logger)
                cleanup = {
                    if let admin = try? await PostgresDatabase.open(url: url, maximumConnections: 1, logger: logger) {
                        try? await admin.write { try await $0.execute("DROP SCHEMA \(schema) CASCADE") }
                        try? await admin.close()
                    }
                }
            } else {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch-diagnose-\(UUID().uuidString)").path
                db = try await StorageConfiguration(dataDirectory: folder).open(logger: logger)
                cleanup = { try? FileManager.default.removeItem(atPath: folder) }
            }
            do {
                try await Migrator(Schema.platform).migrate(db)
                let perWriter = count / concurrency, remainder = count % concurrency
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<concurrency {
                        let n = perWriter + (writer < remainder ? 1 : 0)
                        group.addTask {
                            for i in 0..<n {
                                try await db.write { conn in
                                    try await AuditLog.append(
                                        AuditEvent(actor: "diagnose:\(writer)", action: "diagnose.append", target: "n:\(i)", detail: ["i": String(i)]),
                                        at: Date(), on: conn)
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let appendSeconds = (ContinuousClock.now - start).seconds
                let verifyStart = ContinuousClock.now
                let verification = try await AuditLog.verify(db)
                let verifySeconds = (ContinuousClock.now - verifyStart).seconds
                guard case .valid(let entries, _) = verification else { throw Failure("the chain did not verify: \(verification)") }
                say(String(format: #"{"engine": "%@", "count": %d, "concurrency": %d, "append_seconds": %.3f, "appends_per_second": %.0f, "verify_seconds": %.3f, "verified_entries_per_second": %.0f}"#,
                           db.engine.rawValue, count, concurrency, appendSeconds, Double(count) / appendSeconds, verifySeconds,
                           Double(entries) / verifySeconds))
                try await db.close()
                await cleanup()
            } catch {
                try? await db.close()
                await cleanup()
                throw error
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
