// The evaluation runner: sends every (sample, epoch) of a suite to a model with at most
// `maxConnections` requests in flight, retries what may succeed on a second try, scores each reply,
// and appends one line per finished sample to the run log. A resumed run reads the log, skips what
// is done and appends the rest, so SIGKILL at any moment loses at most the samples in flight.
//
// Durability policy of the log: each line is one write(2) issued as its sample finishes, so once
// written it survives the process being killed (it is in the kernel's page cache). fdatasync runs
// at most once a second and at the end of the run, so a power loss can cost the last second of
// samples, which a resume then redoes; it can never leave a half line that is read as a sample
// (the reader drops an unterminated tail, and resume truncates it before appending).
import Foundation

public struct RunOptions: Sendable {
    /// Requests in flight at once. No ceiling of our own: the endpoint's limits are the ones that count.
    public var maxConnections: Int = 100
    /// Retries after the first attempt, for 429, 5xx, connection errors and timeouts.
    public var maxRetries: Int = 10
    /// Seconds one HTTP attempt may take.
    public var requestTimeout: Double = 120
    /// First backoff in seconds; doubles each retry, capped at `maxBackoff`, full jitter.
    public var initialBackoff: Double = 1
    public var maxBackoff: Double = 60
    public var requestsPerMinute: Double?
    public var tokensPerMinute: Double?

    public init(maxConnections: Int = 100, maxRetries: Int = 10, requestTimeout: Double = 120, initialBackoff: Double = 1,
                maxBackoff: Double = 60, requestsPerMinute: Double? = nil, tokensPerMinute: Double? = nil) {
        self.maxConnections = maxConnections
        self.maxRetries = maxRetries
        self.requestTimeout = requestTimeout
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    /// Full-jitter exponential backoff, but never sooner than the server's Retry-After.
    public func backoff(afterAttempt attempt: Int, retryAfter: Double?, random: Double) -> Double {
        let ceiling = min(maxBackoff, initialBackoff * pow(2, Double(max(0, attempt - 1))))
        return max(retryAfter ?? 0, ceiling * random)
    }
}

/// What `eval run` prints with `--json`: scored samples, errors, the score and its 95% interval.
public struct RunSummary: Sendable, Equatable, Codable {
    public var runID: String
    public var total: Int
    public var samples: Int
    public var errors: Int
    public var score: Double
    public var ciLow: Double
    public var ciHigh: Double
    /// `wilson` for 0/1 scores, `bootstrap` otherwise, `clustered` when some sample was scored in
    /// more than one epoch (normal interval from the standard error clustered by sample id).
    public var interval: String
    public var stderr: Double
    public var log: String?
    /// With epochs > 1: pass@k for every k from 1 to the most epochs any sample was scored in, keyed
    /// by k as text, each over the samples scored at least k times (a score of 1 is a success).
    public var passAtK: [String: Double]? = nil

    enum CodingKeys: String, CodingKey {
        case total, samples, errors, score, interval, stderr, log
        case runID = "run_id"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case passAtK = "pass_at_k"
    }

    /// Summarises the records in force (errors excluded from the score, counted apart). With one
    /// epoch every trial is independent: Wilson 95% for 0/1 scores, a seeded bootstrap otherwise.
    /// With several epochs the epochs of one sample are correlated, so the interval is the mean
    /// ± 1.96 standard errors clustered by sample id (kept within [0, 1] for scores in that range).
    public static func of(_ records: [SampleRecord], runID: String, total: Int, log: String?) -> RunSummary {
        let kept = records.filter { $0.error == nil && $0.score != nil }
        let scored = kept.map { $0.score!.value }
        let errors = records.filter { $0.error != nil }.count
        let mean = Statistics.mean(scored)
        var bySample: [String: [Double]] = [:]
        for r in kept { bySample[r.sampleID, default: []].append(r.score!.value) }
        let maxEpochs = bySample.values.map(\.count).max() ?? 0
        if maxEpochs > 1 {
            let se = Statistics.clusteredStandardError(scored, clusters: kept.map(\.sampleID))
            let unit = scored.allSatisfy { $0 >= 0 && $0 <= 1 }
            let low = mean - Statistics.z95 * se, high = mean + Statistics.z95 * se
            var passAtK: [String: Double] = [:]
            for k in 1...maxEpochs {
                let eligible = bySample.filter { $0.value.count >= k }
                passAtK[String(k)] = Statistics.meanPassAtK(eligible, k: k)
            }
            return RunSummary(runID: runID, total: total, samples: scored.count, errors: errors, score: mean,
                              ciLow: unit ? max(0, low) : low, ciHigh: unit ? min(1, high) : high, interval: "clustered", stderr: se,
                              log: log, passAtK: passAtK)
        }
        let binary = scored.allSatisfy { $0 == 0 || $0 == 1 }
        let interval = binary
            ? Statistics.wilson(successes: mean * Double(scored.count), trials: scored.count)
            : Statistics.bootstrap(scored, resamples: 2000, seed: 0)
        return RunSummary(runID: runID, total: total, samples: scored.count, errors: errors, score: mean, ciLow: interval.low,
                          ciHigh: interval.high, interval: binary ? "wilson" : "bootstrap", stderr: Statistics.standardError(scored), log: log)
    }
}

public struct RunProgress: Sendable {
    public var done: Int
    public var total: Int
    public var errors: Int
    public var elapsed: Double
    public var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }
    public var eta: Double? { rate > 0 ? Double(total - done) / rate : nil }

    /// `1234/2000 samples  410.2/s  ETA 2s  errors 0`
    public var line: String {
        let etaText = eta.map { "ETA \(Int($0.rounded()))s" } ?? "ETA --"
        return "\(done)/\(total) samples  \(String(format: "%.1f", rate))/s  \(etaText)  errors \(errors)"
    }
}

/// Where finished samples go as they finish: the JSONL log file, or the platform's database.
/// `line` is the record already encoded as its log line (newline-terminated): the runner encodes it
/// in the sample's own task, so the one loop that hands records to the sink does no JSON work.
public protocol RunSink: Sendable {
    func record(_ record: SampleRecord, line: Data) async throws
    func finish(_ footer: RunFooter) async throws
}

/// Appends lines to a run log with the durability policy described at the top of this file.
/// Used from one task at a time (the runner's consumer loop), hence the unchecked Sendable.
final class RunLogWriter: RunSink, @unchecked Sendable {
    let fd: Int32
    private var lastSync = Date()

    /// Opens for appending. `truncateTo` cuts a torn last line left by a crash before anything is appended.
    init(path: String, truncateTo: Int? = nil, create: Bool) throws {
        let flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            throw BenchmarkError.unreadable(path: path, reason: create ? "cannot create (does it already exist?)" : "cannot open for appending")
        }
        self.fd = fd
        if let truncateTo, ftruncate(fd, off_t(truncateTo)) != 0 {
            close(fd)
            throw BenchmarkError.unreadable(path: path, reason: "cannot truncate the torn last line")
        }
    }

    func append(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BenchmarkError.unreadable(path: "run log", reason: "write failed (errno \(errno))")
                }
                offset += n
            }
        }
        if Date().timeIntervalSince(lastSync) >= 1 { syncInBackground() }
    }

    func record(_ record: SampleRecord, line: Data) async throws { try append(line) }
    func finish(_ footer: RunFooter) async throws { try append(try RunLog.encodeLine(.footer(footer))) }

    /// The periodic fsync runs on a queue of its own: the writer may be on the event loop that
    /// carries the run's connections (`EventLoopTaskExecutor`), which a slow disk must not stall.
    /// It covers every line written before it was queued.
    private let syncQueue = DispatchQueue(label: "clearinghouse.run-log.fsync")

    func syncInBackground() {
        lastSync = Date()
        let fd = fd
        syncQueue.async { _ = fsync(fd) }
    }

    /// Waits for any queued fsync, syncs what is written and closes.
    func closeFile() {
        syncQueue.sync { _ = fsync(fd) }
        _ = close(fd)
    }
}

/// Paces requests to a requests-per-minute and a tokens-per-minute budget (token buckets holding
/// at most one second's worth, so a burst after a pause stays small).
actor RateLimiter {
    private let rpm: Double?
    private let tpm: Double?
    private var requestCredit: Double
    private var tokenCredit: Double
    private var last = ContinuousClock.now

    init(rpm: Double?, tpm: Double?) {
        self.rpm = rpm
        self.tpm = tpm
        requestCredit = 1
        tokenCredit = (tpm ?? 0) / 60
    }

    func acquire(tokens: Int) async throws {
        while true {
            let now = ContinuousClock.now
            let elapsed = Double((now - last).components.attoseconds) / 1e18 + Double((now - last).components.seconds)
            last = now
            if let rpm { requestCredit = min(max(1, rpm / 60), requestCredit + elapsed * rpm / 60) }
            if let tpm { tokenCredit = min(max(Double(tokens), tpm / 60), tokenCredit + elapsed * tpm / 60) }
            let requestsOK = rpm == nil || requestCredit >= 1
            let tokensOK = tpm == nil || tokenCredit >= Double(tokens)
            if requestsOK && tokensOK {
                if rpm != nil { requestCredit -= 1 }
                if tpm != nil { tokenCredit -= Double(tokens) }
                return
            }
            var wait = 0.0
            if let rpm, !requestsOK { wait = max(wait, (1 - requestCredit) * 60 / rpm) }
            if let tpm, !tokensOK { wait = max(wait, (Double(tokens) - tokenCredit) * 60 / tpm) }
            try await Task.sleep(for: .milliseconds(Int(max(1, wait * 1000))))
        }
    }
}

public struct EvalRunner: Sendable {
    public var provider: any ModelProvider
    public var options: RunOptions
    public var verifier: ExploitVerifier?
    /// Where sample tasks run when set: `eval run` gives the event loop its connections live on
    /// (see `EventLoopTaskExecutor`). Ignored for exploit suites, whose scoring waits on processes.
    public var executor: (any TaskExecutor)?

    public init(provider: any ModelProvider, options: RunOptions, verifier: ExploitVerifier? = nil,
                executor: (any TaskExecutor)? = nil) {
        self.provider = provider
        self.options = options
        self.verifier = verifier
        self.executor = executor
    }

    /// Starts a new run: writes the header, then runs every (sample, epoch). Fails if the log exists.
    public func start(suite: Suite, samples: [Sample], header: RunHeader, logPath: String,
                      progress: (@Sendable (RunProgress) -> Void)? = nil) async throws -> RunSummary {
        let writer = try RunLogWriter(path: logPath, create: true)
        defer { writer.closeFile() }
        // The header survives SIGKILL once written; its fsync runs beside the first requests
        // instead of before them (a log without a header can be neither resumed nor rerun).
        try writer.append(try RunLog.encodeLine(.header(header)))
        writer.syncInBackground()
        return try await run(suite: suite, samples: samples, header: header, existing: [], sink: writer,
                             logPath: logPath, progress: progress)
    }

    /// Continues a run from its log: keeps every scored sample, retries errored and missing ones.
    public func resume(suite: Suite, samples: [Sample], contents: RunLog.Contents, logPath: String,
                       progress: (@Sendable (RunProgress) -> Void)? = nil) async throws -> RunSummary {
        guard let header = contents.header else {
            throw BenchmarkError.invalidInput(location: logPath, reason: "the log has no header line")
        }
        let writer = try RunLogWriter(path: logPath, truncateTo: contents.validLength, create: false)
        defer { writer.closeFile() }
        if contents.missingFinalNewline { try writer.append(Data("\n".utf8)) }
        return try await run(suite: suite, samples: samples, header: header, existing: contents.records, sink: writer,
                             logPath: logPath, progress: progress)
    }

    /// Runs what `existing` does not already hold as scored, handing each finished sample to `sink`.
    public func run(suite: Suite, samples: [Sample], header: RunHeader, existing: [SampleRecord], sink: any RunSink,
                    logPath: String? = nil, progress: (@Sendable (RunProgress) -> Void)? = nil) async throws -> RunSummary {
        let done = Set(existing.filter { $0.error == nil }.map(\.key))
        var records: [SampleKey: SampleRecord] = [:]
        for record in existing where done.contains(record.key) { records[record.key] = record }
        var work: [(Sample, Int)] = []
        for epoch in 1...max(1, header.epochs) {
            for sample in samples where !done.contains(SampleKey(sampleID: sample.id, epoch: epoch)) { work.append((sample, epoch)) }
        }
        let total = samples.count * max(1, header.epochs)
        let limiter = (options.requestsPerMinute != nil || options.tokensPerMinute != nil)
            ? RateLimiter(rpm: options.requestsPerMinute, tpm: options.tokensPerMinute) : nil
        let started = ContinuousClock.now
        var finished = done.count
        var errors = 0
        var lastReport = ContinuousClock.now
        func report(force: Bool) {
            guard let progress else { return }
            let now = ContinuousClock.now
            guard force || now - lastReport > .milliseconds(250) else { return }
            lastReport = now
            let elapsed = now - started
            progress(RunProgress(done: finished - done.count, total: total - done.count, errors: errors,
                                 elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        }

        // Only the fields statistics need are kept per sample, so memory stays flat however long the run.
        var slim: [SampleKey: SampleRecord] = records.mapValues { Self.slim($0) }
        let width = max(1, options.maxConnections)
        let preferred = suite.scorer.type == .exploit ? nil : executor
        try await withTaskExecutorPreference(preferred) {
        try await withThrowingTaskGroup(of: (SampleRecord, Data).self) { group in
            var next = 0
            func addNext() {
                guard next < work.count else { return }
                let (sample, epoch) = work[next]
                next += 1
                group.addTask {
                    let record = await self.runOne(sample: sample, epoch: epoch, suite: suite, header: header, limiter: limiter)
                    return (record, try RunLog.encodeLine(.sample(record)))
                }
            }
            for _ in 0..<min(width, work.count) { addNext() }
            while let (record, line) = try await group.next() {
                try await sink.record(record, line: line)
                if record.error != nil { errors += 1 }
                slim[record.key] = Self.slim(record)
                finished += 1
                report(force: false)
                addNext()
            }
        }
        }
        report(force: true)
        let ordered = slim.values.sorted { ($0.epoch, $0.sampleID) < ($1.epoch, $1.sampleID) }
        let summary = RunSummary.of(ordered, runID: header.runID, total: total, log: logPath)
        let footer = RunFooter(completed: Date(), samples: summary.samples, errors: summary.errors, score: summary.score,
                               ciLow: summary.ciLow, ciHigh: summary.ciHigh)
        try await sink.finish(footer)
        return summary
    }

    static func slim(_ record: SampleRecord) -> SampleRecord {
        SampleRecord(sampleID: record.sampleID, epoch: record.epoch, input: .text(""), score: record.score,
                     timing: record.timing, error: record.error)
    }

    /// One sample, start to finish. Never throws: a failure after all retries becomes an error record.
    func runOne(sample: Sample, epoch: Int, suite: Suite, header: RunHeader, limiter: RateLimiter?) async -> SampleRecord {
        let startedAt = Date()
        var record = SampleRecord(sampleID: sample.id, epoch: epoch, input: sample.input, target: sample.target,
                                  timing: SampleTiming(started: startedAt, completed: startedAt, attempts: 0), metadata: sample.metadata)
        var choicePrompt: MultipleChoicePrompt?
        let messages: [ChatMessage]
        do {
            if suite.solver.type == .multipleChoice {
                let seed = (suite.solver.shuffleSeed ?? header.shuffleSeed).map { SeededShuffle.sampleSeed(runSeed: $0, sampleID: sample.id) }
                let prompt = try MultipleChoice.prompt(for: sample, shuffleSeed: seed)
                choicePrompt = prompt
                var conversation = sample.input.messages()
                if let lastUser = conversation.lastIndex(where: { $0.role == "user" }) {
                    conversation[lastUser].content = prompt.prompt
                } else {
                    conversation.append(ChatMessage(role: "user", content: prompt.prompt))
                }
                messages = conversation
            } else {
                messages = sample.input.messages()
            }
        } catch {
            record.error = String(describing: error)
            record.timing.completed = Date()
            return record
        }

        let estimatedTokens = messages.reduce(0) { $0 + $1.content.utf8.count / 4 + 4 } + (suite.generation.maxTokens ?? 0)
        var attempt = 0
        var reply: ModelReply?
        var lastError: String?
        while attempt <= options.maxRetries {
            attempt += 1
            do {
                if let limiter { try await limiter.acquire(tokens: estimatedTokens) }
                reply = try await provider.generate(messages, settings: suite.generation, timeout: options.requestTimeout)
                break
            } catch let error as ModelCallError {
                lastError = error.description
                guard error.retryable, attempt <= options.maxRetries else { break }
                let delay = options.backoff(afterAttempt: attempt, retryAfter: error.retryAfter, random: Double.random(in: 0...1))
                do { try await Task.sleep(for: .milliseconds(Int(delay * 1000))) } catch { lastError = "cancelled"; break }
            } catch {
                lastError = error is CancellationError ? "cancelled" : String(describing: error)
                break
            }
        }
        record.timing.attempts = attempt
        guard let reply else {
            record.error = "after \(attempt) attempt(s): \(lastError ?? "unknown failure")"
            record.timing.completed = Date()
            return record
        }
        record.output = reply.output
        record.usage = reply.usage
        record.request = reply.requestBody
        record.response = reply.responseBody
        do {
            if suite.scorer.type == .exploit {
                guard let verifier else { throw BenchmarkError.sandboxUnavailable(reason: "no exploit verifier configured") }
                let challenge = try ExploitChallenge(sample: sample)
                let answer = ExploitAnswer.extract(fromModelOutput: reply.output) ?? reply.output
                let result = try await verifier.verify(challenge, answer: answer)
                record.score = Score(value: result.score, answer: answer, explanation: result.explanation)
            } else {
                record.score = try Scorers.score(suite.scorer, sample: sample, output: reply.output, choicePrompt: choicePrompt)
            }
        } catch {
            // A scorer that cannot judge (sandbox missing, bad pattern) is an error, not a wrong answer.
            record.error = "scoring failed: \(error)"
        }
        record.timing.completed = Date()
        return record
    }
}
