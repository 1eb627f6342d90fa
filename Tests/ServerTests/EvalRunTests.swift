// The evaluation runner against the project's own test model server over real HTTP on a real port:
// exact scores, fault tolerance without double counting, both provider APIs.
import Benchmarks
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Platform
import Server
import Testing
import TestSupport

struct EvalRunTests {
    /// 4 choices, targets cycling A, B, C, D: a model that always answers one letter scores exactly 0.25.
    static let samples: [Sample] = (1...40).map { i in
        Sample(id: String(i), input: .text("Question \(i): which one?"), target: [["A", "B", "C", "D"][(i - 1) % 4]],
               choices: ["w", "x", "y", "z"], metadata: ["category": .string("c\(i % 3)")])
    }
    static let suite = Suite(name: "cycle", version: "1", datasets: [DatasetSpec(path: "inline")],
                             solver: SolverSpec(type: .multipleChoice), scorer: ScorerSpec(type: .choice))

    /// Starts the test model server on a free port and gives its base URL (with /v1) and its counters.
    func withModelServer<T: Sendable>(_ configuration: TestModelServerConfiguration,
                                      _ body: @Sendable (String, TestModelServerStats) async throws -> T) async throws -> T {
        let stats = TestModelServerStats()
        return try await withTestModelServer(configuration, stats: stats) { port in
            try await body("http://127.0.0.1:\(port)/v1", stats)
        }
    }

    func run(_ url: String, provider kind: ProviderKind = .openai, options: RunOptions = RunOptions(maxConnections: 16)) async throws
        -> (RunSummary, RunLog.Contents, Int)
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evalrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("run.jsonl").path
        let spec = ModelSpec(provider: kind, model: "test")
        let base = kind == .anthropic ? String(url.dropLast(3)) : url
        let header = RunHeader(runID: "r", suite: Self.suite.name, suiteVersion: Self.suite.version, model: spec.description,
                               generation: Self.suite.generation, created: Date(), suiteSpec: Self.suite)
        let summary = try await HTTPModelProvider.with(spec: spec, baseURL: base, apiKey: "k", maxConnections: options.maxConnections) { provider in
            try await EvalRunner(provider: provider, options: options).start(suite: Self.suite, samples: Self.samples, header: header, logPath: path)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return (summary, try RunLog.read(path: path), text.components(separatedBy: #""type":"sample""#).count - 1)
    }

    @Test func fixedLetterScoresExactlyAQuarterWithAWilsonIntervalAroundIt() async throws {
        try await withModelServer(.init(answer: .letter("B"))) { url, _ in
            let (summary, contents, lines) = try await run(url)
            #expect(summary.samples == 40 && summary.errors == 0)
            #expect(summary.score == 0.25)
            #expect(summary.interval == "wilson" && summary.ciLow < 0.25 && summary.ciHigh > 0.25)
            #expect(lines == 40 && contents.records.count == 40)
            #expect(contents.records.allSatisfy { $0.output == "ANSWER: B" && $0.usage != nil })
        }
    }

    @Test func anthropicMessagesAPIScoresTheSame() async throws {
        try await withModelServer(.init(answer: .letter("D"))) { url, _ in
            let (summary, _, _) = try await run(url, provider: .anthropic)
            #expect(summary.samples == 40 && summary.score == 0.25)
        }
    }

    @Test func injectedFaultsChangeNeitherTheScoreNorTheSampleCount() async throws {
        let expected = try await withModelServer(.init(answer: .hash)) { url, _ in
            let (_, contents, _) = try await run(url)
            return Dictionary(uniqueKeysWithValues: contents.records.map { ($0.sampleID, $0.score?.value ?? -1) })
        }
        let faulty = TestModelServerConfiguration(answer: .hash, faultRate: 0.2, retryAfterSeconds: 0, hangMilliseconds: 1500)
        try await withModelServer(faulty) { url, stats in
            let options = RunOptions(maxConnections: 16, maxRetries: 12, requestTimeout: 0.5, initialBackoff: 0.02, maxBackoff: 0.2)
            let (summary, contents, lines) = try await run(url, options: options)
            #expect(stats.snapshot.faults > 0)
            #expect(summary.errors == 0 && summary.samples == 40)
            #expect(lines == 40 && contents.duplicates == 0)
            let scores = Dictionary(uniqueKeysWithValues: contents.records.map { ($0.sampleID, $0.score?.value ?? -1) })
            #expect(scores == expected)
            #expect(contents.records.contains { $0.timing.attempts > 1 })
        }
    }

    @Test func aSampleThatNeverSucceedsIsAnErrorNotAWrongAnswer() async throws {
        try await withModelServer(.init(answer: .letter("A"), faultRate: 1, retryAfterSeconds: 0, hangMilliseconds: 300)) { url, _ in
            let options = RunOptions(maxConnections: 8, maxRetries: 1, requestTimeout: 0.2, initialBackoff: 0.01, maxBackoff: 0.01)
            let (summary, contents, _) = try await run(url, options: options)
            #expect(summary.errors == 40 && summary.samples == 0)
            #expect(contents.records.allSatisfy { $0.score == nil && $0.error?.contains("after 2 attempt(s)") == true })
        }
    }

    @Test(arguments: Engine.available)
    func aWorkerExecutesAQueuedRunAndStoresItsScore(engine: Engine) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evalworker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = folder.appendingPathComponent("mc.jsonl")
        let encoder = JSONEncoder()
        let lines = try Self.samples.map { sample in
            String(decoding: try encoder.encode(["id": sample.id, "input": sample.input.lastUserText, "target": sample.target[0]]), as: UTF8.self)
                .dropLast() + #","choices":["w","x","y","z"]}"#
        }
        try lines.joined(separator: "\n").write(to: dataset, atomically: true, encoding: .utf8)
        let suite = { var s = Self.suite; s.datasets = [DatasetSpec(path: dataset.path)]; return s }()
        try await TestDatabases.with(engine, migrations: Installation.migrations) { test in
            try await withModelServer(.init(answer: .letter("C"))) { url, _ in
                let store = EvalRunStore(db: test.db)
                let queued = try await store.queue(suite: suite, model: "openai:m", baseURL: url, modelVersionRef: "mv-7", maxConnections: 8,
                                                   label: AccessLabel(tlp: .green, ownerOrg: "gov"), actor: "reviewer", at: Date())
                let worker = EvalWorker(store: store, id: "w1", execute: EvalWorker.httpExecutor(environment: [:]))
                #expect(try await worker.runOnce())
                let reader = Reader(userId: "u", userName: "u", orgId: "gov", orgKind: .government, role: .reviewer)
                let run = try await store.run(id: queued.id, reader: reader)
                #expect(run.status == .done && run.scored == 40 && run.errors == 0 && run.score == 0.25)
                #expect(try #require(run.ciLow) < 0.25 && 0.25 < (try #require(run.ciHigh)))
                #expect(try await store.samples(runID: run.id).count == 40)
                // The worker stores the run's statistics with it (one epoch: Wilson, no pass@k).
                #expect(run.statistics?.interval == "wilson" && run.statistics?.epochs == 1 && run.statistics?.passAtK == [])
            }
        }
    }
}
