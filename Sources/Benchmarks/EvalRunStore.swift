// Evaluation runs kept in the platform's database: queued by reviewers, claimed by `clearinghouse
// worker` processes, checkpointed sample by sample, and resumable by another worker when the one
// holding a run stops sending heartbeats. Runs are access-labelled like every other record.
//
// A run names its frontier model version (`model_version_ref` = `frontier_versions.id`) and, where
// there is one, its coverage inquiry (`inquiry_ref` = `frontier_inquiries.id`). The server checks
// both against the frontier tables when a run is queued; there is no foreign key, so this module's
// migrations stand alone.
import Foundation
import Platform

public enum BenchmarksSchema {
    public static let migrations: [Migration] = [
        Migration(version: 400, name: "evaluation runs and their samples", sql: [
            """
            CREATE TABLE eval_runs (
                id TEXT PRIMARY KEY,
                model_version_ref TEXT,
                model TEXT NOT NULL,
                base_url TEXT NOT NULL,
                suite_name TEXT NOT NULL,
                suite_version TEXT NOT NULL,
                suite_json TEXT NOT NULL,
                max_connections BIGINT NOT NULL CHECK (max_connections >= 1),
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                \(LabelColumns.ddl),
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                claimed_by TEXT,
                claims BIGINT NOT NULL DEFAULT 0,
                heartbeat_at BIGINT,
                completed_at BIGINT,
                total BIGINT,
                scored BIGINT,
                errors BIGINT,
                score DOUBLE PRECISION,
                ci_low DOUBLE PRECISION,
                ci_high DOUBLE PRECISION,
                failure TEXT)
            """,
            "CREATE INDEX eval_runs_status ON eval_runs (status, created_at)",
            "CREATE INDEX eval_runs_model_version ON eval_runs (model_version_ref)",
            """
            CREATE TABLE eval_run_samples (
                run_id TEXT NOT NULL REFERENCES eval_runs(id),
                sample_id TEXT NOT NULL,
                epoch BIGINT NOT NULL,
                score DOUBLE PRECISION,
                error TEXT,
                record TEXT NOT NULL,
                PRIMARY KEY (run_id, sample_id, epoch))
            """,
        ]),
        // The coverage inquiry a run answers, when there is one (validated by the server against
        // the frontier tables, like model_version_ref; no foreign key, so this module's migrations
        // stand alone).
        Migration(version: 401, name: "evaluation runs name a coverage inquiry", sql: [
            "ALTER TABLE eval_runs ADD COLUMN inquiry_ref TEXT",
            "CREATE INDEX eval_runs_inquiry ON eval_runs (inquiry_ref)",
        ]),
        // The statistics beside the score (`RunStatistics` as JSON: interval kind, pass@k over the
        // epochs, clustered standard errors, breakdowns by category), written when a run completes.
        // NULL for runs finished before this migration and for runs not finished yet.
        Migration(version: 410, name: "evaluation runs keep their statistics", sql: [
            "ALTER TABLE eval_runs ADD COLUMN statistics TEXT",
        ]),
    ]
}

public struct EvalRun: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case queued, running, done, failed }
    public var id: String
    public var modelVersionRef: String?
    public var inquiryRef: String?
    public var model: String
    public var baseURL: String
    public var suite: Suite
    public var maxConnections: Int
    public var status: Status
    public var label: AccessLabel
    public var createdBy: String
    public var createdAt: Date
    public var claimedBy: String?
    public var claims: Int
    public var completedAt: Date?
    public var total: Int?
    public var scored: Int?
    public var errors: Int?
    public var score: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var failure: String?
    /// Recorded when the run completes; nil before, and for runs completed before migration 410.
    public var statistics: RunStatistics?
}

public struct EvalRunStore: Sendable {
    public let db: any Database
    public init(db: any Database) { self.db = db }

    static let columns = """
        id, model_version_ref, inquiry_ref, model, base_url, suite_json, max_connections, status, \(LabelColumns.names), created_by, created_at,
        claimed_by, claims, completed_at, total, scored, errors, score, ci_low, ci_high, failure, statistics
        """

    /// Queues a run. The endpoint's key is never stored: the worker reads it from its own environment.
    public func queue(suite: Suite, model: String, baseURL: String, modelVersionRef: String?, inquiryRef: String? = nil, maxConnections: Int = 100,
                      label: AccessLabel, actor: String, at now: Date) async throws -> EvalRun {
        guard (try? ModelSpec.parse(model)) != nil else {
            throw DomainError.invalid(field: "model", reason: "expected openai:NAME or anthropic:NAME")
        }
        guard maxConnections >= 1 else { throw DomainError.invalid(field: "max_connections", reason: "must be at least 1") }
        let id = UUID().uuidString.lowercased()
        let suiteJSON = String(decoding: try JSONEncoder().encode(suite), as: UTF8.self)
        return try await db.write { conn in
            try await conn.execute(
                """
                INSERT INTO eval_runs (id, model_version_ref, model, base_url, suite_name, suite_version, suite_json, max_connections,
                                       status, \(LabelColumns.names), created_by, created_at, inquiry_ref)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11, $12, $13, $14, $15, $16)
                """,
                [.text(id), SQLValue(modelVersionRef), .text(model), .text(baseURL), .text(suite.name), .text(suite.version), .text(suiteJSON),
                 .int(Int64(maxConnections))] + LabelColumns.values(label) + [.text(actor), .int(now.microsecondsSinceEpoch), SQLValue(inquiryRef)])
            try await AuditLog.append(AuditEvent(actor: actor, action: "eval.run.queue", target: id,
                                                 detail: ["model": model, "suite": "\(suite.name)@\(suite.version)"]), at: now, on: conn)
            return try await Self.fetch(id, on: conn)
        }
    }

    /// Claims the oldest queued run, or a running one whose worker has been silent for `staleAfter`
    /// seconds (it died). On PostgreSQL the row lock with SKIP LOCKED lets any number of workers
    /// claim at once without two taking one run; SQLite runs one writer at a time, so the plain
    /// select-then-update in one transaction is already exclusive.
    public func claim(worker: String, at now: Date, staleAfter: Double) async throws -> EvalRun? {
        let stale = now.addingTimeInterval(-staleAfter).microsecondsSinceEpoch
        let lock = db.engine == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await db.write { conn in
            guard let row = try await conn.first(
                """
                SELECT id, status FROM eval_runs
                WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < $1)
                ORDER BY created_at, id LIMIT 1\(lock)
                """, [.int(stale)]) else { return nil }
            let id = try row.string("id")
            try await conn.execute(
                "UPDATE eval_runs SET status = 'running', claimed_by = $1, claims = claims + 1, heartbeat_at = $2 WHERE id = $3",
                [.text(worker), .int(now.microsecondsSinceEpoch), .text(id)])
            try await AuditLog.append(AuditEvent(actor: "worker:\(worker)", action: "eval.run.claim", target: id,
                                                 detail: ["previous_status": try row.string("status")]), at: now, on: conn)
            return try await Self.fetch(id, on: conn)
        }
    }

    /// Stores one finished sample and refreshes the worker's heartbeat. A scored sample is never
    /// replaced; an errored one is replaced by a later attempt, as in the JSONL log.
    /// `line` is the record already encoded as a log line, when the caller has it.
    public func checkpoint(runID: String, worker: String, record: SampleRecord, line: Data? = nil, at now: Date) async throws {
        let json = String(decoding: try line ?? RunLog.encodeLine(.sample(record)), as: UTF8.self)
        try await db.write { conn in
            try await conn.execute(
                """
                INSERT INTO eval_run_samples (run_id, sample_id, epoch, score, error, record) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (run_id, sample_id, epoch) DO UPDATE SET score = excluded.score, error = excluded.error, record = excluded.record
                WHERE eval_run_samples.error IS NOT NULL
                """,
                [.text(runID), .text(record.sampleID), .int(Int64(record.epoch)),
                 record.error == nil ? record.score.map { SQLValue.double($0.value) } ?? .null : .null, SQLValue(record.error), .text(json)])
            try await conn.execute("UPDATE eval_runs SET heartbeat_at = $1 WHERE id = $2 AND claimed_by = $3",
                                   [.int(now.microsecondsSinceEpoch), .text(runID), .text(worker)])
        }
    }

    /// Marks a run done with its summary and the statistics computed from the same stored samples.
    public func complete(runID: String, worker: String, summary: RunSummary, statistics: RunStatistics?, at now: Date) async throws {
        let statisticsJSON = try statistics.map { try $0.json() }
        try await db.write { conn in
            try await conn.execute(
                """
                UPDATE eval_runs SET status = 'done', completed_at = $1, total = $2, scored = $3, errors = $4, score = $5, ci_low = $6,
                                     ci_high = $7, failure = NULL, statistics = $8
                WHERE id = $9
                """,
                [.int(now.microsecondsSinceEpoch), .int(Int64(summary.total)), .int(Int64(summary.samples)), .int(Int64(summary.errors)),
                 .double(summary.score), .double(summary.ciLow), .double(summary.ciHigh), SQLValue(statisticsJSON), .text(runID)])
            try await AuditLog.append(AuditEvent(actor: "worker:\(worker)", action: "eval.run.complete", target: runID,
                                                 detail: ["scored": String(summary.samples), "errors": String(summary.errors)]), at: now, on: conn)
        }
    }

    /// A run that cannot start (unreadable dataset, bad suite) is marked failed with the reason.
    public func fail(runID: String, worker: String, reason: String, at now: Date) async throws {
        try await db.write { conn in
            try await conn.execute("UPDATE eval_runs SET status = 'failed', completed_at = $1, failure = $2 WHERE id = $3",
                                   [.int(now.microsecondsSinceEpoch), .text(String(reason.prefix(2000))), .text(runID)])
            try await AuditLog.append(AuditEvent(actor: "worker:\(worker)", action: "eval.run.fail", target: runID), at: now, on: conn)
        }
    }

    /// The samples recorded so far, for resuming and for browsing.
    public func samples(runID: String) async throws -> [SampleRecord] {
        try await db.read { conn in
            let rows = try await conn.query("SELECT record FROM eval_run_samples WHERE run_id = $1 ORDER BY epoch, sample_id", [.text(runID)])
            return try rows.map(Self.decodeRecord)
        }
    }

    static func decodeRecord(_ row: SQLRow) throws -> SampleRecord {
        guard case .sample(let record) = try RunLog.decoder().decode(RunLogLine.self, from: Data(try row.string("record").utf8)) else {
            throw StorageError.unexpectedValue(column: "record", expected: "a sample line")
        }
        return record
    }

    /// One run as `reader` may see it; a run they may not see answers like a missing one.
    public func run(id: String, reader: Reader) async throws -> EvalRun {
        let run = try await db.read { conn in try await Self.fetchOptional(id, on: conn) }
        guard let run, AccessRule.canRead(reader, run.label) else { throw DomainError.notFound("evaluation run \(id)") }
        return run
    }

    /// Runs `reader` may see, newest first, optionally for one model version, status or model name.
    public func list(reader: Reader, modelVersionRef: String? = nil, status: EvalRun.Status? = nil, model: String? = nil,
                     limit: Int = 50, offset: Int = 0) async throws -> [EvalRun] {
        let (filter, binds) = Self.filter(reader, modelVersionRef: modelVersionRef, status: status, model: model)
        return try await db.read { conn in
            try await conn.query("SELECT \(Self.columns) FROM eval_runs WHERE \(filter) ORDER BY created_at DESC, id LIMIT \(max(1, min(limit, 500))) OFFSET \(max(0, offset))",
                                 binds).map(Self.decode)
        }
    }

    /// How many runs `list` would page through, under the same access rule and filters.
    public func count(reader: Reader, modelVersionRef: String? = nil, status: EvalRun.Status? = nil, model: String? = nil) async throws -> Int {
        let (filter, binds) = Self.filter(reader, modelVersionRef: modelVersionRef, status: status, model: model)
        return try await db.read { conn in Int(try await conn.scalarInt("SELECT COUNT(*) AS n FROM eval_runs WHERE \(filter)", binds)) }
    }

    static func filter(_ reader: Reader, modelVersionRef: String?, status: EvalRun.Status?, model: String?) -> (String, [SQLValue]) {
        let visible = AccessRule.visibleSQL(reader, alias: "", firstBind: 1)
        var sql = visible.sql
        var binds = visible.binds
        for (column, value) in [("model_version_ref", modelVersionRef), ("status", status?.rawValue), ("model", model)] {
            guard let value else { continue }
            binds.append(.text(value))
            sql += " AND \(column) = $\(binds.count)"
        }
        return (sql, binds)
    }

    /// One page of a run's samples (epoch, then sample id), optionally only the errored ones, and how many there are.
    public func samplePage(runID: String, errorsOnly: Bool = false, limit: Int = 50, offset: Int = 0) async throws -> (records: [SampleRecord], total: Int) {
        let filter = errorsOnly ? " AND error IS NOT NULL" : ""
        return try await db.read { conn in
            let rows = try await conn.query(
                "SELECT record FROM eval_run_samples WHERE run_id = $1\(filter) ORDER BY epoch, sample_id LIMIT \(max(1, min(limit, 500))) OFFSET \(max(0, offset))",
                [.text(runID)])
            let total = Int(try await conn.scalarInt("SELECT COUNT(*) AS n FROM eval_run_samples WHERE run_id = $1\(filter)", [.text(runID)]))
            return (try rows.map(Self.decodeRecord), total)
        }
    }

    /// The results a threshold policy reads for a model version: for each suite, the most recently
    /// completed run `reader` may see (only finished runs with at least one scored sample).
    public func latestResults(reader: Reader, modelVersionRef: String) async throws -> [EvalRun] {
        let (filter, binds) = Self.filter(reader, modelVersionRef: modelVersionRef, status: .done, model: nil)
        let runs = try await db.read { conn in
            try await conn.query("SELECT \(Self.columns) FROM eval_runs WHERE \(filter) AND scored > 0 ORDER BY completed_at DESC, id", binds).map(Self.decode)
        }
        var seen: Set<String> = []
        return runs.filter { seen.insert($0.suite.name).inserted }
    }

    static func fetch(_ id: String, on conn: any SQLConnection) async throws -> EvalRun {
        guard let run = try await fetchOptional(id, on: conn) else { throw DomainError.notFound("evaluation run \(id)") }
        return run
    }

    static func fetchOptional(_ id: String, on conn: any SQLConnection) async throws -> EvalRun? {
        try await conn.first("SELECT \(columns) FROM eval_runs WHERE id = $1", [.text(id)]).map(decode)
    }

    static func decode(_ row: SQLRow) throws -> EvalRun {
        guard let status = EvalRun.Status(rawValue: try row.string("status")) else {
            throw StorageError.unexpectedValue(column: "status", expected: "queued, running, done or failed")
        }
        let suite = try Suite.decode(Data(try row.string("suite_json").utf8))
        func double(_ name: String) -> Double? { row[name] == .null ? nil : try? row.double(name) }
        return EvalRun(
            id: try row.string("id"), modelVersionRef: row.optionalString("model_version_ref"), inquiryRef: row.optionalString("inquiry_ref"), model: try row.string("model"),
            baseURL: try row.string("base_url"), suite: suite, maxConnections: Int(try row.int("max_connections")), status: status,
            label: try LabelColumns.decode(row), createdBy: try row.string("created_by"),
            createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")), claimedBy: row.optionalString("claimed_by"),
            claims: Int(try row.int("claims")), completedAt: row.optionalInt("completed_at").map(Date.init(microsecondsSinceEpoch:)),
            total: row.optionalInt("total").map(Int.init), scored: row.optionalInt("scored").map(Int.init),
            errors: row.optionalInt("errors").map(Int.init), score: double("score"), ciLow: double("ci_low"), ciHigh: double("ci_high"),
            failure: row.optionalString("failure"), statistics: try row.optionalString("statistics").map(RunStatistics.decode(json:)))
    }
}

/// Checkpoints each finished sample of a claimed run into the database.
struct DatabaseRunSink: RunSink {
    let store: EvalRunStore
    let runID: String
    let worker: String
    let clock: @Sendable () -> Date

    func record(_ record: SampleRecord, line: Data) async throws {
        try await store.checkpoint(runID: runID, worker: worker, record: record, line: line, at: clock())
    }

    func finish(_ footer: RunFooter) async throws {}
}

/// One worker's loop body: claim a run, execute it (resuming whatever samples are already stored),
/// record the result. Returns false when there was nothing to claim.
public struct EvalWorker: Sendable {
    public let store: EvalRunStore
    public let id: String
    public var staleAfter: Double
    public var clock: @Sendable () -> Date
    /// Makes the provider for a run (tests point it at the test server; the CLI reads keys from the environment).
    public var execute: @Sendable (EvalRun, @Sendable (any ModelProvider) async throws -> RunSummary) async throws -> RunSummary

    public init(store: EvalRunStore, id: String, staleAfter: Double = 120, clock: @escaping @Sendable () -> Date = { Date() },
                execute: @escaping @Sendable (EvalRun, @Sendable (any ModelProvider) async throws -> RunSummary) async throws -> RunSummary) {
        self.store = store
        self.id = id
        self.staleAfter = staleAfter
        self.clock = clock
        self.execute = execute
    }

    /// The usual way to run: a real HTTP provider with the key from this worker's environment.
    public static func httpExecutor(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> @Sendable (EvalRun, @Sendable (any ModelProvider) async throws -> RunSummary) async throws -> RunSummary
    {
        { run, body in
            let spec = try ModelSpec.parse(run.model)
            return try await HTTPModelProvider.with(spec: spec, baseURL: run.baseURL, apiKey: spec.apiKey(environment: environment),
                                                    maxConnections: run.maxConnections) { provider in try await body(provider) }
        }
    }

    @discardableResult
    public func runOnce(options: RunOptions = RunOptions()) async throws -> Bool {
        guard let run = try await store.claim(worker: id, at: clock(), staleAfter: staleAfter) else { return false }
        let samples: [Sample]
        do { samples = try run.suite.loadSamples(relativeTo: "/") } catch {
            try await store.fail(runID: run.id, worker: id, reason: String(describing: error), at: clock())
            return true
        }
        let existing = try await store.samples(runID: run.id)
        let header = RunHeader(runID: run.id, suite: run.suite.name, suiteVersion: run.suite.version, model: run.model,
                               generation: run.suite.generation, epochs: run.suite.epochs, shuffleSeed: run.suite.solver.shuffleSeed,
                               created: run.createdAt, suiteSpec: run.suite, baseURL: run.baseURL, maxConnections: run.maxConnections)
        let runOptions = { var o = options; o.maxConnections = run.maxConnections; return o }()
        let sink = DatabaseRunSink(store: store, runID: run.id, worker: id, clock: clock)
        let verifier: ExploitVerifier? = run.suite.scorer.type == .exploit ? ExploitVerifier() : nil
        let summary = try await execute(run) { provider in
            try await EvalRunner(provider: provider, options: runOptions, verifier: verifier)
                .run(suite: run.suite, samples: samples, header: header, existing: existing, sink: sink)
        }
        // Count from what is stored, so a sample finished by an earlier worker counts exactly once.
        let stored = try await store.samples(runID: run.id)
        let final = RunSummary.of(stored, runID: run.id, total: summary.total, log: nil)
        try await store.complete(runID: run.id, worker: id, summary: final, statistics: RunStatistics.of(stored, suite: run.suite), at: clock())
        return true
    }
}
