// The embedded engine. SQLite allows one writer at a time, so every write transaction goes through a
// single connection in turn (queued without blocking threads), while reads use a small pool of
// connections that WAL lets run beside the writer. All SQLite calls run on a dedicated thread pool.
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

public final class SQLiteDatabase: Database {
    public let engine = DatabaseEngine.sqlite
    public let path: String
    public var displayName: String { "sqlite:\(path)" }

    private let threadPool: NIOThreadPool
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writerLock = AsyncSemaphore(value: 1)
    private let readerPermits: AsyncSemaphore
    private let freeReaders: Mutex<[Int]>
    private let counters = Mutex((inUse: 0, committed: 0, rolledBack: 0, closed: false))

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteDatabase {
        let pool = NIOThreadPool(numberOfThreads: readerCount + 1)
        pool.start()
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
            // WAL lets readers work beside the writer; FULL makes each commit durable before it is acknowledged.
            // 16 KiB pages for a new database (an existing one keeps its own): a commit writes each
            // dirty page to the WAL as its own frame, and random keys dirty many pages; fewer,
            // larger frames took a million-object import from 21,100 to 23,200 objects/s
            // (bench/taxii/RESULTS.md). Must come before the first table, hence before WAL.
            _ = try await writer.query("PRAGMA page_size=16384", [])
            _ = try await writer.query("PRAGMA journal_mode=WAL", [])
            try await Self.configure(writer)
            // The writer keeps up to 64 MiB of pages (SQLite's default is 2 MiB). Inserts into the
            // random-keyed indexes of a large table (STIX ids, CVE ids) touch a new leaf page
            // almost every row; with 2 MiB the writer re-read those pages and spilled dirty ones to
            // the WAL in mid-transaction. Checkpoints every 16,384 pages (64 MiB of WAL, default
            // 1,000), so a page dirtied by several transactions is copied back once, not each time.
            _ = try await writer.query("PRAGMA cache_size=-65536", [])
            _ = try await writer.query("PRAGMA wal_autocheckpoint=16384", [])
            // Temporary files (sorts for CREATE INDEX and large ORDER BYs, statement journals) go
            // to disk, not memory: rebuilding a million-object table sorted its indexes in about
            // 930 MB of memory with MEMORY and 137 MB with FILE, and finished sooner (20 s against
            // 13 s, bench/taxii/RESULTS.md). Bulk inserts keep no statement journal (migration 320).
            _ = try await writer.query("PRAGMA temp_store=FILE", [])
            var readers: [SQLiteConnection] = []
            for _ in 0..<readerCount {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
                try await Self.configure(reader)
                _ = try await reader.query("PRAGMA cache_size=-8192", [])
                readers.append(reader)
            }
            return SQLiteDatabase(path: path, threadPool: pool, writer: writer, readers: readers)
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    private static func configure(_ connection: SQLiteConnection) async throws {
        _ = try await connection.query("PRAGMA foreign_keys=ON", [])
        _ = try await connection.query("PRAGMA busy_timeout=10000", [])
        _ = try await connection.query("PRAGMA synchronous=FULL", [])
    }

    private init(path: String, threadPool: NIOThreadPool, writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.path = path
        self.threadPool = threadPool
        self.writer = writer
        self.readers = readers
        self.readerPermits = AsyncSemaphore(value: readers.count)
        self.freeReaders = Mutex(Array(readers.indices))
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try ensureOpen()
        await readerPermits.wait()
        let index = freeReaders.withLock { $0.removeLast() }
        counters.withLock { $0.inUse += 1 }
        defer {
            counters.withLock { $0.inUse -= 1 }
            freeReaders.withLock { $0.append(index) }
            readerPermits.signal()
        }
        return try await body(SQLiteSQLConnection(connection: readers[index]))
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try ensureOpen()
        await writerLock.wait()
        counters.withLock { $0.inUse += 1 }
        defer {
            counters.withLock { $0.inUse -= 1 }
            writerLock.signal()
        }
        let connection = SQLiteSQLConnection(connection: writer)
        _ = try await writer.query("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(connection)
            _ = try await writer.query("COMMIT", [])
            counters.withLock { $0.committed += 1 }
            return result
        } catch {
            _ = try? await writer.query("ROLLBACK", [])
            counters.withLock { $0.rolledBack += 1 }
            throw error
        }
    }

    public func statistics() -> PoolStatistics {
        let c = counters.withLock { $0 }
        return PoolStatistics(
            engine: .sqlite, maximumConnections: readers.count + 1, connectionsInUse: c.inUse,
            waiting: writerLock.waiting + readerPermits.waiting,
            transactionsCommitted: c.committed, transactionsRolledBack: c.rolledBack)
    }

    private func ensureOpen() throws {
        if counters.withLock({ $0.closed }) { throw StorageError.closed }
    }

    /// Waits for the running writer to finish, checkpoints the WAL and closes every connection.
    public func close() async throws {
        let already = counters.withLock { c -> Bool in
            defer { c.closed = true }
            return c.closed
        }
        if already { return }
        await writerLock.wait()
        for _ in readers { await readerPermits.wait() }
        _ = try? await writer.query("PRAGMA wal_checkpoint(TRUNCATE)", [])
        for reader in readers { try? await reader.close() }
        try? await writer.close()
        try await threadPool.shutdownGracefully()
    }
}

/// Adapts one SQLite connection to the seam, translating placeholders and values.
struct SQLiteSQLConnection: SQLConnection {
    let connection: SQLiteConnection
    var engine: DatabaseEngine { .sqlite }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query(Self.translate(sql), binds.map(Self.encode))
        } catch let error as SQLiteError {
            // One error vocabulary for both engines, so callers and operators read the same words.
            if "\(error.reason)".hasPrefix("constraint") { throw StorageError.constraint(error.message) }
            throw StorageError.engine("SQLite: \(error.message)")
        }
        guard let first = rows.first else { return [] }
        let names = first.columns.map(\.name)
        return rows.map { row in SQLRow(columns: names, values: row.columns.map { Self.decode($0.data) }) }
    }

    static func encode(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .null: return .null
        case .int(let i): return .integer(SQLiteInt64(i))
        case .double(let d): return .float(d)
        case .text(let s): return .text(s)
        case .blob(let b): return .blob(ByteBuffer(bytes: b))
        }
    }

    static func decode(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .null: return .null
        case .integer(let i): return .int(Int64(i))
        case .float(let d): return .double(d)
        case .text(let s): return .text(s)
        case .blob(var b): return .blob(b.readBytes(length: b.readableBytes) ?? [])
        }
    }

    /// Rewrites `$1` placeholders to SQLite's numbered `?1`, leaving string literals ('…') and
    /// quoted identifiers ("…") alone: inside either, only its own closing quote counts (a doubled
    /// quote, the SQL escape, closes and reopens). Works on UTF-8 bytes (every character involved
    /// is ASCII, so no multi-byte sequence is touched): a 200-row insert has 2,600 placeholders, and
    /// walking it by `Character` cost 5% of an import.
    static func translate(_ sql: String) -> String {
        guard sql.utf8.contains(UInt8(ascii: "$")) else { return sql }
        var bytes = Array(sql.utf8)
        var quote: UInt8?  // the quote character of the literal or identifier being read
        var changed = false
        for i in bytes.indices {
            let byte = bytes[i]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            } else if byte == UInt8(ascii: "$") {
                bytes[i] = UInt8(ascii: "?")
                changed = true
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : sql
    }
}
