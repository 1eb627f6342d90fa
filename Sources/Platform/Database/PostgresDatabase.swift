// The engine for installations that outgrow one machine: a PostgresNIO connection pool shared by
// every request of this process; several processes share the database and hold no state of their
// own, so they behave as one installation.
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

public final class PostgresDatabase: Database {
    public let engine = DatabaseEngine.postgres
    public let displayName: String
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    private let maximumConnections: Int
    private let counters = Mutex((inUse: 0, waiting: 0, committed: 0, rolledBack: 0, closed: false))

    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
    public static func open(url: String, maximumConnections: Int = 20, logger: Logger) async throws -> PostgresDatabase {
        let parsed = try PostgresURL(url)
        var configuration = PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.user, password: parsed.password,
            database: parsed.database, tls: parsed.tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        if let schema = parsed.searchPath {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        let database = PostgresDatabase(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            displayName: parsed.redacted, maximumConnections: maximumConnections, logger: logger)
        // Let the pool's run loop start before the first lease (PostgresNIO warns otherwise).
        for _ in 0..<3 { await Task.yield() }
        try? await Task.sleep(for: .milliseconds(2))
        // Fail at start-up, naming the problem, rather than on the first request.
        do {
            _ = try await database.read { try await $0.query("SELECT 1", []) }
        } catch {
            try? await database.close()
            throw StorageError.engine("cannot reach PostgreSQL at \(parsed.redacted): \(String(reflecting: error))")
        }
        return database
    }

    private init(client: PostgresClient, displayName: String, maximumConnections: Int, logger: Logger) {
        self.client = client
        self.displayName = displayName
        self.logger = logger
        self.maximumConnections = maximumConnections
        self.runner = Task { await client.run() }
    }

    private func lease<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try counters.withLock { c in
            if c.closed { throw StorageError.closed }
            c.waiting += 1
        }
        var leased = false
        defer {
            counters.withLock { c in
                if leased { c.inUse -= 1 } else { c.waiting -= 1 }
            }
        }
        return try await client.withConnection { connection in
            counters.withLock { c in
                c.waiting -= 1
                c.inUse += 1
            }
            leased = true
            return try await body(connection)
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await lease { connection in
            try await body(PostgresSQLConnection(connection: connection, logger: logger))
        }
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        let result: Result<T, any Error> = try await lease { connection in
            let wrapped = PostgresSQLConnection(connection: connection, logger: logger)
            try await wrapped.execute("BEGIN")
            do {
                let value = try await body(wrapped)
                try await wrapped.execute("COMMIT")
                return .success(value)
            } catch {
                try? await wrapped.execute("ROLLBACK")
                return .failure(error)
            }
        }
        switch result {
        case .success(let value):
            counters.withLock { $0.committed += 1 }
            return value
        case .failure(let error):
            counters.withLock { $0.rolledBack += 1 }
            throw error
        }
    }

    public func statistics() -> PoolStatistics {
        let c = counters.withLock { $0 }
        return PoolStatistics(
            engine: .postgres, maximumConnections: maximumConnections, connectionsInUse: c.inUse,
            waiting: c.waiting, transactionsCommitted: c.committed, transactionsRolledBack: c.rolledBack)
    }

    public func close() async throws {
        let already = counters.withLock { c -> Bool in
            defer { c.closed = true }
            return c.closed
        }
        if already { return }
        // Let leased connections finish before the pool shuts down.
        while counters.withLock({ $0.inUse + $0.waiting }) > 0 {
            try? await Task.sleep(for: .milliseconds(5))
        }
        runner.cancel()
        await runner.value
    }
}

struct PostgresSQLConnection: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger
    var engine: DatabaseEngine { .postgres }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let i): bindings.append(i)
            case .double(let d): bindings.append(d)
            case .text(let s): bindings.append(s)
            case .blob(let b): bindings.append(ByteBuffer(bytes: b))
            }
        }
        do {
            return try await run(PostgresQuery(unsafeSQL: sql, binds: bindings))
        } catch let error as PSQLError {
            // One error vocabulary for both engines; PSQLError's own description hides the server's words.
            let message = error.serverInfo?[.message] ?? String(reflecting: error)
            let state = error.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("23") { throw StorageError.constraint(message) }
            throw StorageError.engine("PostgreSQL: \(message)\(state.isEmpty ? "" : " (SQLSTATE \(state))")")
        }
    }

    private func run(_ query: PostgresQuery) async throws -> [SQLRow] {
        let rows = try await connection.query(query, logger: logger)
        var result: [SQLRow] = []
        var names: [String]? = nil
        for try await row in rows {
            var values: [SQLValue] = []
            var columnNames: [String] = []
            for cell in row {
                if names == nil { columnNames.append(cell.columnName) }
                values.append(try Self.decode(cell))
            }
            if names == nil { names = columnNames }
            result.append(SQLRow(columns: names ?? [], values: values))
        }
        return result
    }

    static func decode(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2: return .int(Int64(try cell.decode(Int16.self)))
        case .int4: return .int(Int64(try cell.decode(Int32.self)))
        case .int8: return .int(try cell.decode(Int64.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .float4: return .double(Double(try cell.decode(Float.self)))
        case .float8: return .double(try cell.decode(Double.self))
        case .numeric:
            let text = try cell.decode(String.self)
            if let i = Int64(text) { return .int(i) }
            return .double(Double(text) ?? 0)
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// The parts of a `postgres://` URL.
struct PostgresURL {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String?
    var tls: PostgresClient.Configuration.TLS
    /// `?search_path=NAME`: keep Clearinghouse's tables in their own schema.
    var searchPath: String?
    var redacted: String

    init(_ string: String) throws {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw StorageError.badURL("expected postgres://user:password@host:port/database") }
        guard let host = components.host, !host.isEmpty else { throw StorageError.badURL("missing host") }
        guard let user = components.user, !user.isEmpty else { throw StorageError.badURL("missing user name") }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? nil : path
        let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-full", "verify-ca": tls = .require(.makeClientConfiguration())
        default: throw StorageError.badURL("unknown sslmode \(mode)")
        }
        searchPath = components.queryItems?.first(where: { $0.name == "search_path" })?.value
        redacted = "postgres://\(user)@\(host):\(port)/\(database ?? "")"
    }
}
