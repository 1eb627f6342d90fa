// `clearinghouse serve`: the HTTP API, web UI and (later) TAXII feed. Opens and migrates the
// database, creates the first administrator on an empty database, and runs until SIGTERM/SIGINT,
// letting in-flight requests finish before the database closes.
import ArgumentParser
import Foundation
import Frontier
import Hummingbird
import Logging
import Platform
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server (API, web UI).")
    @OptionGroup var storage: StorageOptions
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @Flag(help: "Mark cookies Secure (when served over HTTPS).") var secureCookies = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "clearinghouse")
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level \(logLevel)") }
        logger.logLevel = level
        // Area settings are checked before anything is opened or created: a bad value stops the start, naming it.
        _ = try FrontierSettings.fromEnvironment()
        let configuration = try storage.resolve()
        // Read the key before opening anything, so a missing key fails at start-up, naming it.
        let secrets = try configuration.secretBox()
        let db = try await configuration.open(logger: logger)
        do {
            let applied = try await Installation.migrator.migrate(db)
            if !applied.isEmpty { logger.info("migrated", metadata: ["versions": "\(applied)"]) }
            let directory = Directory(db: db)
            if let password = try await directory.bootstrapIfEmpty() {
                // Printed, never logged: the operator sees it once, on this first start only.
                say("""

                    First start: created the administrator account.
                      user name: admin
                      password:  \(password)
                    This password is shown once. Sign in and keep it safe, or set another with
                    `clearinghouse admin user password --name admin`.

                    """)
            }
            let services = try await AppServices(
                db: db, directory: directory, clock: .system,
                configuration: ServerConfiguration(host: host, port: port, secureCookies: secureCookies), secrets: secrets)
            let app = buildApplication(services, logger: logger) { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" } ?? "\(host):\(port)"
                say("Clearinghouse listening on http://\(address) (\(db.displayName))")
            }
            try await app.runService()
        } catch {
            try? await db.close()
            throw error
        }
    }
}
