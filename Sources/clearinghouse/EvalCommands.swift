// `clearinghouse eval`: run a suite against a model endpoint, resume an interrupted run, export to
// and import from Inspect AI's JSON eval log, and stand up the local test model server. None of
// these touch the database.
import ArgumentParser
import Benchmarks
import Foundation
import Hummingbird
import Logging
import Server

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Run cyber-capability benchmark suites against a model endpoint.",
        subcommands: [Run.self, Resume.self, Export.self, Import.self, TestServer.self])

    /// Options shared by `run` and `resume`.
    struct Execution: ParsableArguments {
        @Option(help: "Requests in flight at once (default 100; no ceiling of our own).") var maxConnections: Int?
        @Option(help: "Seconds one request may take before it is retried.") var timeout: Double = 120
        @Option(help: "Retries after the first attempt (429, 5xx, connection errors, timeouts).") var maxRetries: Int = 10
        @Option(help: "Requests per minute, at most.") var rpm: Double?
        @Option(help: "Estimated tokens per minute, at most.") var tpm: Double?
        @Flag(help: "Print a JSON summary as the last line.") var json = false

        func options(defaultConnections: Int?) throws -> RunOptions {
            let connections = maxConnections ?? defaultConnections ?? 100
            guard connections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
            guard maxRetries >= 0 else { throw ValidationError("--max-retries must not be negative") }
            return RunOptions(maxConnections: connections, maxRetries: maxRetries, requestTimeout: timeout,
                              requestsPerMinute: rpm, tokensPerMinute: tpm)
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a suite (or one dataset with one scorer) and write a JSONL run log.")
        @Option(help: "A suite file (JSON).") var suite: String?
        @Option(help: "A dataset file (JSONL, JSON or CSV in Inspect's fields), instead of a suite.") var dataset: String?
        @Option(help: "Scorer for --dataset: \(ScorerSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var scorer: String?
        @Option(help: "Field mapping preset for --dataset (\(FieldMapping.presetNames.joined(separator: ", "))).") var mapping: String?
        @Option(help: "openai:MODEL or anthropic:MODEL.") var model: String
        @Option(help: "Endpoint base URL (default OPENAI_BASE_URL / ANTHROPIC_BASE_URL).") var baseURL: String?
        @Option(help: "Epochs (overrides the suite's).") var epochs: Int?
        @Option(help: "Sampling temperature (overrides the suite's).") var temperature: Double?
        @Option(help: "Maximum tokens to generate (overrides the suite's).") var maxTokens: Int?
        @Option(help: "Generation seed (overrides the suite's).") var seed: Int?
        @Option(help: "Shuffle multiple-choice options with this seed (recorded in the log).") var shuffleSeed: UInt64?
        @Option(help: "The run log to create (JSONL; must not exist).") var log: String
        @OptionGroup var execution: Execution

        func run() async throws {
            let spec = try ModelSpec.parse(model)
            var (suite, samples) = try loadSuite()
            if let epochs {
                guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
                suite.epochs = epochs
            }
            if let temperature { suite.generation.temperature = temperature }
            if let maxTokens { suite.generation.maxTokens = maxTokens }
            if let seed { suite.generation.seed = seed }
            if let shuffleSeed { suite.solver.shuffleSeed = shuffleSeed }
            let options = try execution.options(defaultConnections: nil)
            let base = baseURL ?? spec.defaultBaseURL()
            let header = RunHeader(
                runID: UUID().uuidString.lowercased(), suite: suite.name, suiteVersion: suite.version, model: spec.description,
                generation: suite.generation, epochs: suite.epochs, shuffleSeed: suite.solver.shuffleSeed, created: Date(),
                suiteSpec: suite, baseURL: base, maxConnections: options.maxConnections)
            try await EvalSession.execute(spec: spec, baseURL: base, options: options, suite: suite, json: execution.json) { runner, progress in
                try await runner.start(suite: suite, samples: samples, header: header, logPath: log, progress: progress)
            }
        }

        func loadSuite() throws -> (Suite, [Sample]) {
            let cwd = FileManager.default.currentDirectoryPath
            switch (suite, dataset) {
            case (let path?, nil):
                guard scorer == nil, mapping == nil else { throw ValidationError("--scorer and --mapping go with --dataset, not --suite") }
                let loaded = try Suite.load(path: path)
                let folder = ((path.hasPrefix("/") ? path : cwd + "/" + path) as NSString).deletingLastPathComponent
                return (loaded.suite.resolvingPaths(relativeTo: folder), loaded.samples)
            case (nil, let path?):
                guard let scorerName = scorer, let kind = ScorerSpec.Kind(rawValue: scorerName) else {
                    throw ValidationError("--dataset needs --scorer, one of \(ScorerSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                var spec = DatasetSpec(path: path)
                if let mapping {
                    guard let preset = FieldMapping.preset(named: mapping) else { throw ValidationError("unknown --mapping \(mapping)") }
                    spec = DatasetSpec(path: path, mapping: preset, mappingPreset: mapping)
                }
                let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                let suite = Suite(name: name, version: "dataset", datasets: [spec],
                                  solver: SolverSpec(type: kind == .choice ? .multipleChoice : .generate),
                                  scorer: ScorerSpec(type: kind), metrics: [.init(kind: .accuracy)])
                let resolved = suite.resolvingPaths(relativeTo: cwd)
                return (resolved, try resolved.loadSamples(relativeTo: cwd))
            default:
                throw ValidationError("give either --suite FILE or --dataset FILE --scorer NAME")
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume",
            abstract: "Continue an interrupted run from its log: finished samples are kept, the rest (and errored ones) are run.")
        @Argument(help: "The run log.") var path: String
        @Option(help: "Endpoint base URL (default: the one recorded in the log).") var baseURL: String?
        @OptionGroup var execution: Execution

        func run() async throws {
            let contents = try RunLog.read(path: path)
            guard let header = contents.header, let suite = header.suiteSpec else {
                throw Failure("\(path): the log has no header with the suite; it cannot be resumed")
            }
            let spec = try ModelSpec.parse(header.model)
            let samples = try suite.loadSamples(relativeTo: (path as NSString).deletingLastPathComponent)
            let options = try execution.options(defaultConnections: header.maxConnections)
            let base = baseURL ?? header.baseURL ?? spec.defaultBaseURL()
            try await EvalSession.execute(spec: spec, baseURL: base, options: options, suite: suite, json: execution.json) { runner, progress in
                try await runner.resume(suite: suite, samples: samples, contents: contents, logPath: path, progress: progress)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a run log as an Inspect AI JSON eval log (schema version 2).")
        @Argument(help: "The run log.") var path: String
        @Option(help: "Only inspect-json.") var format: String = "inspect-json"
        @Option(help: "The file to write.") var out: String

        func run() async throws {
            guard format == "inspect-json" else { throw ValidationError("--format must be inspect-json") }
            let contents = try RunLog.read(path: path)
            let data = try InspectLog.export(contents)
            try data.write(to: URL(fileURLWithPath: out), options: .atomic)
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import",
            abstract: "Read an Inspect AI JSON eval log; print its scores and optionally write it as a run log.")
        @Argument(help: "An Inspect AI JSON eval log.") var file: String
        @Option(help: "Write the samples as a run log here.") var log: String?
        @Flag(help: "Print a JSON summary as the last line.") var json = false

        func run() async throws {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch { throw Failure("\(file): cannot read") }
            let imported = try InspectLog.import(data)
            if let log {
                var lines = try RunLog.encodeLine(.header(imported.header))
                for record in imported.records { lines.append(try RunLog.encodeLine(.sample(record))) }
                guard FileManager.default.createFile(atPath: log, contents: lines) else { throw Failure("\(log): cannot write") }
            }
            let summary = RunSummary.of(imported.records, runID: imported.header.runID, total: imported.records.count, log: log)
            EvalSession.printSummary(summary, json: json, model: imported.header.model)
        }
    }

    struct TestServer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test-server",
            abstract: "A local OpenAI- and Anthropic-compatible model endpoint for tests and benchmarks, with delays and injected faults.")
        @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
        @Option(help: "Port (0 picks a free one; the address is printed).") var port: Int = 0
        @Option(help: "Milliseconds before each answer.") var delayMs: Int = 0
        @Option(help: "Fraction of requests that fail (500, 429, 503, hang in turn).") var faultRate: Double = 0
        @Option(help: "A letter to always answer, `hash` (a letter from the prompt's hash) or `echo`.") var answer: String = "A"
        @Option(help: "Retry-After seconds on an injected 429.") var retryAfter: Int = 1
        @Option(help: "Milliseconds an injected hang lasts.") var hangMs: Int = 30_000

        func run() async throws {
            guard let mode = TestModelServerConfiguration.parseAnswer(answer) else { throw ValidationError("--answer: a letter, hash or echo") }
            guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be within 0...1") }
            let configuration = TestModelServerConfiguration(answer: mode, delayMilliseconds: delayMs, faultRate: faultRate,
                                                             retryAfterSeconds: retryAfter, hangMilliseconds: hangMs)
            let server = try await TestModelServer.start(configuration, host: host, port: port)
            say("test model server listening on http://\(host):\(server.port)/v1")
            try await server.wait()
        }
    }
}

/// What `run` and `resume` share: the HTTP client's lifetime, progress on a terminal, the summary.
enum EvalSession {
    static func execute(spec: ModelSpec, baseURL: String, options: RunOptions, suite: Suite, json: Bool,
                        _ body: (EvalRunner, (@Sendable (RunProgress) -> Void)?) async throws -> RunSummary) async throws {
        let verifier: ExploitVerifier? = suite.scorer.type == .exploit ? ExploitVerifier() : nil
        // Progress only for a person watching: a pipe or file gets the summary alone.
        var progress: (@Sendable (RunProgress) -> Void)?
        if isatty(STDERR_FILENO) == 1 {
            progress = { (p: RunProgress) in FileHandle.standardError.write(Data("\r\u{1B}[K\(p.line)".utf8)) }
        }
        let watcher = progress
        // One event loop carries the run's plain-http connections and its sample tasks. The command
        // exits after the summary, so it does not wait for its connections to finish closing.
        let executor = EventLoopTaskExecutor.shared()
        let summary = try await HTTPModelProvider.with(spec: spec, baseURL: baseURL, apiKey: spec.apiKey(),
                                                       maxConnections: options.maxConnections, executor: executor,
                                                       closeConnections: false) { provider in
            try await body(EvalRunner(provider: provider, options: options, verifier: verifier, executor: executor), watcher)
        }
        if progress != nil { FileHandle.standardError.write(Data("\n".utf8)) }
        printSummary(summary, json: json, model: spec.description)
        if summary.errors > 0 {
            FileHandle.standardError.write(Data("\(summary.errors) sample(s) failed after retries and are recorded as errors, not scored; `clearinghouse eval resume` retries them.\n".utf8))
        }
    }

    static func printSummary(_ summary: RunSummary, json: Bool, model: String) {
        say("\(model): score \(String(format: "%.4f", summary.score)) (95% \(summary.interval) interval \(String(format: "%.4f", summary.ciLow))–\(String(format: "%.4f", summary.ciHigh))), \(summary.samples) scored, \(summary.errors) error(s) of \(summary.total)"
            + (summary.passAtK.map { p in ", " + p.keys.sorted { Int($0)! < Int($1)! }.map { "pass@\($0) \(String(format: "%.4f", p[$0]!))" }.joined(separator: ", ") } ?? ""))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(summary) { say(String(decoding: data, as: UTF8.self)) }
        }
    }
}

/// `clearinghouse worker`: claims queued evaluation runs from the shared database and executes them.
/// Any number may run against PostgreSQL; with SQLite run one. Endpoint keys come from this
/// process's environment (OPENAI_API_KEY, ANTHROPIC_API_KEY), never from the database.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Claim and execute queued evaluation runs until stopped.")
    @OptionGroup var storage: StorageOptions
    @Option(help: "This worker's name in the audit log (default host:pid).") var id: String?
    @Option(help: "Seconds between polls of an empty queue.") var poll: Double = 2
    @Option(help: "Seconds without a heartbeat after which another worker's run is taken over.") var staleAfter: Double = 120
    @Flag(help: "Exit when the queue is empty instead of polling.") var once = false

    func run() async throws {
        let name = id ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        let (poll, staleAfter, once) = (self.poll, self.staleAfter, self.once)
        try await storage.withDatabase(logger: commandLogger("clearinghouse.worker")) { db in
            let worker = EvalWorker(store: EvalRunStore(db: db), id: name, staleAfter: staleAfter, execute: EvalWorker.httpExecutor())
            while !Task.isCancelled {
                if try await worker.runOnce() { continue }
                if once { break }
                try await Task.sleep(for: .milliseconds(Int(poll * 1000)))
            }
        }
    }
}
