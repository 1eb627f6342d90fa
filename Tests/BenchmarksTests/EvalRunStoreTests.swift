// Evaluation runs in the database, on SQLite and PostgreSQL: queue, claim (never one run twice),
// checkpoint, take-over of a dead worker's run without redoing its samples, access labels.
import Foundation
import Platform
import Testing
import TestSupport
@testable import Benchmarks

struct EvalRunStoreTests {
    static let migrations = Schema.platform + BenchmarksSchema.migrations
    let suite = Suite(name: "cycle", version: "3", datasets: [DatasetSpec(path: "/nonexistent.jsonl")],
                      solver: SolverSpec(type: .multipleChoice), scorer: ScorerSpec(type: .choice))
    let t0 = Date(timeIntervalSince1970: 1_900_000_000)

    func reader(org: String, role: Role = .member) -> Reader {
        Reader(userId: "u-\(org)", userName: "n-\(org)", orgId: org, orgKind: .government, role: role)
    }

    func record(_ id: String, _ value: Double?, error: String? = nil) -> SampleRecord {
        SampleRecord(sampleID: id, epoch: 1, input: .text("q"), target: ["A"], output: "ANSWER: A",
                     score: value.map { Score(value: $0) }, timing: SampleTiming(started: t0, completed: t0), error: error)
    }

    @Test(arguments: Engine.available)
    func claimsAreExclusiveAndADeadWorkersRunIsTakenOverWithItsSamples(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = EvalRunStore(db: test.db)
            let label = AccessLabel(tlp: .amber, ownerOrg: "gov")
            let first = try await store.queue(suite: suite, model: "openai:m", baseURL: "http://x/v1", modelVersionRef: "mv-1",
                                              label: label, actor: "reviewer", at: t0)
            let second = try await store.queue(suite: suite, model: "anthropic:c", baseURL: "http://y", modelVersionRef: "mv-2",
                                               label: label, actor: "reviewer", at: t0.addingTimeInterval(1))
            let a = try #require(try await store.claim(worker: "a", at: t0.addingTimeInterval(2), staleAfter: 60))
            let b = try #require(try await store.claim(worker: "b", at: t0.addingTimeInterval(2), staleAfter: 60))
            #expect(a.id == first.id && b.id == second.id && a.status == .running && a.claimedBy == "a")
            #expect(try await store.claim(worker: "c", at: t0.addingTimeInterval(3), staleAfter: 60) == nil)

            try await store.checkpoint(runID: a.id, worker: "a", record: record("1", 1), at: t0.addingTimeInterval(4))
            try await store.checkpoint(runID: a.id, worker: "a", record: record("2", nil, error: "HTTP 503"), at: t0.addingTimeInterval(4))
            // A scored sample is never replaced (no double counting); an errored one is.
            try await store.checkpoint(runID: a.id, worker: "a", record: record("1", 0), at: t0.addingTimeInterval(5))
            try await store.checkpoint(runID: a.id, worker: "a", record: record("2", 1), at: t0.addingTimeInterval(5))
            let stored = try await store.samples(runID: a.id)
            #expect(stored.map(\.sampleID) == ["1", "2"] && stored.map { $0.score?.value } == [1, 1])

            // Worker a goes silent; after the stale time c takes its run over, samples and all.
            #expect(try await store.claim(worker: "c", at: t0.addingTimeInterval(30), staleAfter: 60) == nil)
            let takeover = try #require(try await store.claim(worker: "c", at: t0.addingTimeInterval(70), staleAfter: 60))
            #expect(takeover.id == a.id && takeover.claimedBy == "c" && takeover.claims == 2)
            #expect(try await store.samples(runID: takeover.id).count == 2)

            let summary = RunSummary.of(stored, runID: a.id, total: 2, log: nil)
            #expect(try await store.run(id: a.id, reader: reader(org: "gov")).statistics == nil)
            let statistics = RunStatistics.of(stored, suite: suite)
            try await store.complete(runID: a.id, worker: "c", summary: summary, statistics: statistics, at: t0.addingTimeInterval(80))
            let done = try await store.run(id: a.id, reader: reader(org: "gov"))
            #expect(done.status == .done && done.score == 1 && done.scored == 2 && done.ciLow == summary.ciLow && done.modelVersionRef == "mv-1")
            // The statistics come back exactly as computed (migration 410's column, on both engines).
            #expect(done.statistics == statistics && done.statistics?.interval == "wilson")
        }
    }

    @Test(arguments: Engine.available)
    func runsFollowTheirAccessLabel(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = EvalRunStore(db: test.db)
            let amber = try await store.queue(suite: suite, model: "openai:m", baseURL: "http://x/v1", modelVersionRef: "mv-1",
                                              label: AccessLabel(tlp: .amber, ownerOrg: "gov"), actor: "r", at: t0)
            let green = try await store.queue(suite: suite, model: "openai:m", baseURL: "http://x/v1", modelVersionRef: "mv-1",
                                              label: AccessLabel(tlp: .green, ownerOrg: "gov"), actor: "r", at: t0.addingTimeInterval(1))
            let outsider = reader(org: "lab")
            await #expect(throws: DomainError.notFound("evaluation run \(amber.id)")) { try await store.run(id: amber.id, reader: outsider) }
            #expect(try await store.list(reader: outsider).map(\.id) == [green.id])
            #expect(Set(try await store.list(reader: reader(org: "gov"), modelVersionRef: "mv-1").map(\.id)) == [amber.id, green.id])
            await #expect(throws: DomainError.self) {
                try await store.queue(suite: suite, model: "gemini:x", baseURL: "", modelVersionRef: nil,
                                      label: AccessLabel(tlp: .green, ownerOrg: "gov"), actor: "r", at: t0)
            }
        }
    }

    @Test(arguments: Engine.available)
    func aRunWhoseDatasetCannotBeReadIsMarkedFailed(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let store = EvalRunStore(db: test.db)
            let queued = try await store.queue(suite: suite, model: "openai:m", baseURL: "http://127.0.0.1:9/v1", modelVersionRef: nil,
                                               label: AccessLabel(tlp: .green, ownerOrg: "gov"), actor: "r", at: t0)
            let worker = EvalWorker(store: store, id: "w", execute: EvalWorker.httpExecutor(environment: [:]))
            #expect(try await worker.runOnce())
            let run = try await store.run(id: queued.id, reader: reader(org: "gov"))
            #expect(run.status == .failed && run.failure?.contains("nonexistent.jsonl") == true)
            #expect(try await worker.runOnce() == false)
        }
    }
}
