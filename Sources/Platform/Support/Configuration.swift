// One configuration reader, layered: command-line options over environment variables over defaults.
// Every command (serve, migrate, admin, audit) opens the database the same way through it.
import Foundation
import Logging

public struct StorageConfiguration: Sendable, Equatable {
    /// Where the SQLite file and the secret key file live.
    public var dataDirectory: String
    /// A `postgres://` URL; when set, PostgreSQL is used instead of the SQLite file.
    public var databaseURL: String?

    public static let defaultDataDirectory = "./clearinghouse-data"

    public init(dataDirectory: String = StorageConfiguration.defaultDataDirectory, databaseURL: String? = nil) {
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
    }

    /// Resolves options against the environment (`CLEARINGHOUSE_DATA_DIR`, `CLEARINGHOUSE_DATABASE_URL`).
    public static func resolve(dataDir: String?, database: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> StorageConfiguration
    {
        let url = database ?? environment["CLEARINGHOUSE_DATABASE_URL"]
        if let url, !url.isEmpty {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") || url.hasPrefix("sqlite:") else {
                throw ConfigurationError.invalid(key: "--database", reason: "expected a postgres:// URL or sqlite:PATH")
            }
        }
        return StorageConfiguration(
            dataDirectory: dataDir ?? environment["CLEARINGHOUSE_DATA_DIR"] ?? defaultDataDirectory,
            databaseURL: (url?.isEmpty ?? true) ? nil : url)
    }

    public var sqlitePath: String {
        if let url = databaseURL, url.hasPrefix("sqlite:") { return String(url.dropFirst("sqlite:".count)) }
        return (dataDirectory as NSString).appendingPathComponent("clearinghouse.sqlite")
    }

    public var usesPostgres: Bool { databaseURL.map { !$0.hasPrefix("sqlite:") } ?? false }

    /// Opens the configured engine (creating the data folder for SQLite).
    public func open(logger: Logger, maximumConnections: Int = 20) async throws -> any Database {
        if usesPostgres, let url = databaseURL {
            return try await PostgresDatabase.open(url: url, maximumConnections: maximumConnections, logger: logger)
        }
        let path = sqlitePath
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        return try await SQLiteDatabase.open(path: path, logger: logger)
    }

    /// The key that seals secrets at rest: `CLEARINGHOUSE_SECRET_KEY`, else a key file in the data
    /// folder, created (mode 0600) on first use. With PostgreSQL the key must come from the
    /// environment, so that every process shares it.
    public func secretBox(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretBox {
        if let key = environment["CLEARINGHOUSE_SECRET_KEY"], !key.isEmpty { return try SecretBox(encodedKey: key) }
        let path = (dataDirectory as NSString).appendingPathComponent("secret.key")
        if let existing = FileManager.default.contents(atPath: path) {
            return try SecretBox(encodedKey: String(decoding: existing, as: UTF8.self))
        }
        if usesPostgres {
            throw ConfigurationError.invalid(
                key: "CLEARINGHOUSE_SECRET_KEY", reason: "must be set when using PostgreSQL so that every process shares it")
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = SecretBox.generateEncodedKey()
        guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError.invalid(key: "secret key file", reason: "cannot write \(path)")
        }
        return try SecretBox(encodedKey: key)
    }
}
