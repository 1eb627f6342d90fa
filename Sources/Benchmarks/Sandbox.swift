// Runs untrusted programs (challenge code fed a model's answer) with no network, CPU, memory,
// process, output-size and wall-time limits, in a fresh working directory that is removed afterwards,
// and never as root. Built from util-linux tools so it needs no package:
//   unshare --net --pid --fork --kill-child   new network namespace (only a downed loopback) and a
//                                             PID namespace, so killing the top process kills all
//   setpriv --reuid/--regid --clear-groups    when we are root: become nobody:nogroup
//   unshare --user                            when we are not root: unprivileged user namespace
//   prlimit --cpu --as --fsize --nproc ...    rlimits; stdout/stderr go to files, so --fsize caps output
// The wall clock is ours: the process group is SIGKILLed at the deadline. If a tool is missing or the
// kernel refuses a namespace, the sandbox fails closed with `BenchmarkError.sandboxUnavailable`.
// The chain starts through ChildProcess (posix_spawn): it inherits only stdin, stdout and stderr.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct SandboxLimits: Sendable, Equatable, Codable {
    /// RLIMIT_CPU: CPU seconds per process (SIGXCPU/SIGKILL after).
    public var cpuSeconds: Int
    /// Our own deadline for the whole step, in seconds of wall time.
    public var wallSeconds: Double
    /// RLIMIT_AS in bytes. Virtual, not resident: node reserves ~1 GiB at start, so keep ≥ 2 GiB for it.
    public var addressSpaceBytes: UInt64
    /// RLIMIT_FSIZE in bytes: caps every file the child writes, including stdout and stderr.
    public var outputBytes: Int
    /// RLIMIT_NPROC: processes of the sandbox uid (counted across concurrent runs as nobody).
    public var maxProcesses: Int
    public var maxOpenFiles: Int

    public init(cpuSeconds: Int = 10, wallSeconds: Double = 20, addressSpaceBytes: UInt64 = 2 << 30,
                outputBytes: Int = 1 << 20, maxProcesses: Int = 256, maxOpenFiles: Int = 256) {
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
        self.addressSpaceBytes = addressSpaceBytes
        self.outputBytes = outputBytes
        self.maxProcesses = maxProcesses
        self.maxOpenFiles = maxOpenFiles
    }
}

public struct SandboxStep: Sendable, Equatable {
    /// Absolute path of the program (resolved by the caller: PATH lookup is deliberately not done
    /// because root's PATH may point into /root, which nobody cannot read).
    public var executable: String
    public var arguments: [String]
    /// Raw bytes passed as one extra, final argument; may be any bytes except NUL (an argument ends
    /// at the first NUL, as exec sees it). Passed to exec as bytes, so it need not be UTF-8.
    public var byteArgument: [UInt8]?
    public var stdin: [UInt8]
    public var limits: SandboxLimits

    public init(executable: String, arguments: [String] = [], byteArgument: [UInt8]? = nil, stdin: [UInt8] = [], limits: SandboxLimits = SandboxLimits()) {
        self.executable = executable
        self.arguments = arguments
        self.byteArgument = byteArgument
        self.stdin = stdin
        self.limits = limits
    }
}

public struct SandboxOutcome: Sendable, Equatable {
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
    }
    public var termination: Termination
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Output reached the size limit (and was cut there).
    public var outputLimitHit: Bool
    public var seconds: Double

    public var succeeded: Bool { termination == .exited(0) }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Absolute paths of the tools the sandbox and the challenge runners use.
public struct SandboxTools: Sendable, Equatable {
    public var unshare: String?
    public var setpriv: String?
    public var prlimit: String?
    public var python3: String?
    public var gcc: String?
    public var node: String?
    public var sqlite3: String?

    public static let systemDirectories = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]

    /// Looks in the system directories only (see SandboxStep.executable for why not PATH).
    public static func discover(in directories: [String] = systemDirectories) -> SandboxTools {
        func find(_ names: String...) -> String? {
            for directory in directories {
                for name in names {
                    let path = (directory as NSString).appendingPathComponent(name)
                    if FileManager.default.isExecutableFile(atPath: path) { return path }
                }
            }
            return nil
        }
        return SandboxTools(unshare: find("unshare"), setpriv: find("setpriv"), prlimit: find("prlimit"),
                            python3: find("python3"), gcc: find("gcc", "cc"), node: find("node", "nodejs"), sqlite3: find("sqlite3"))
    }
}

public struct Sandbox: Sendable {
    public var tools: SandboxTools
    /// uid/gid the child runs as when we are root (nobody:nogroup on Debian).
    public var unprivilegedUID: UInt32
    public var unprivilegedGID: UInt32
    /// Where fresh working directories are made.
    public var temporaryRoot: String

    public init(tools: SandboxTools = .discover(), unprivilegedUID: UInt32 = 65534, unprivilegedGID: UInt32 = 65534,
                temporaryRoot: String = NSTemporaryDirectory()) {
        self.tools = tools
        self.unprivilegedUID = unprivilegedUID
        self.unprivilegedGID = unprivilegedGID
        self.temporaryRoot = temporaryRoot
    }

    var runningAsRoot: Bool { geteuid() == 0 }

    /// Runs a trivial program through the full wrapper chain; throws if isolation is not possible
    /// here (missing util-linux tool, namespaces forbidden), so callers fail before scoring anything.
    public func checkAvailable() async throws {
        let outcomes = try await run(files: [:], steps: [SandboxStep(executable: "/bin/sh", arguments: ["-c", "exit 0"])])
        guard let outcome = outcomes.first, outcome.succeeded else {
            let detail = outcomes.first.map { "\($0.termination) \($0.stderrText)" } ?? "no outcome"
            throw BenchmarkError.sandboxUnavailable(reason: "wrapper chain failed: \(detail.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Creates a fresh working directory holding `files` (name → bytes), runs the steps in order in it,
    /// stops after the first step that does not exit 0, removes the directory, and returns the
    /// outcome of every step that ran.
    public func run(files: [String: [UInt8]], steps: [SandboxStep]) async throws -> [SandboxOutcome] {
        let wrapper = try wrapperPrefix()
        let fm = FileManager.default
        let token = UUID().uuidString.lowercased()
        let workDir = (temporaryRoot as NSString).appendingPathComponent("clearinghouse-sbx-\(token)")
        let ioDir = workDir + "-io"
        defer {
            try? fm.removeItem(atPath: workDir)
            try? fm.removeItem(atPath: ioDir)
        }
        do {
            try fm.createDirectory(atPath: workDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            // The io folder holds stdout/stderr files and stays ours: the child only gets the open fds.
            try fm.createDirectory(atPath: ioDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            for (name, bytes) in files {
                guard !name.contains("/"), !name.hasPrefix(".") else {
                    throw BenchmarkError.invalidInput(location: "sandbox file \(name.debugDescription)", reason: "must be a plain file name")
                }
                let path = (workDir as NSString).appendingPathComponent(name)
                guard fm.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                    throw BenchmarkError.sandboxUnavailable(reason: "cannot write \(path)")
                }
            }
            if runningAsRoot {
                for name in [""] + files.keys.map({ $0 }) {
                    let path = name.isEmpty ? workDir : (workDir as NSString).appendingPathComponent(name)
                    guard chown(path, unprivilegedUID, unprivilegedGID) == 0 else {
                        throw BenchmarkError.sandboxUnavailable(reason: "cannot hand \(path) to uid \(unprivilegedUID)")
                    }
                }
            }
        } catch let error as BenchmarkError {
            throw error
        } catch {
            throw BenchmarkError.sandboxUnavailable(reason: "cannot prepare a working directory: \(error.localizedDescription)")
        }

        var outcomes: [SandboxOutcome] = []
        for (index, step) in steps.enumerated() {
            let outcome = try await runStep(step, index: index, wrapper: wrapper, workDir: workDir, ioDir: ioDir)
            outcomes.append(outcome)
            if !outcome.succeeded { break }
        }
        return outcomes
    }

    /// `unshare … [setpriv …] prlimit` up to, not including, the limits and the command.
    func wrapperPrefix() throws -> [String] {
        guard let unshare = tools.unshare else { throw BenchmarkError.sandboxUnavailable(reason: "unshare not found (Debian package util-linux)") }
        guard tools.prlimit != nil else { throw BenchmarkError.sandboxUnavailable(reason: "prlimit not found (Debian package util-linux)") }
        if runningAsRoot {
            guard let setpriv = tools.setpriv else { throw BenchmarkError.sandboxUnavailable(reason: "setpriv not found (Debian package util-linux)") }
            return [unshare, "--net", "--pid", "--fork", "--kill-child", "--", setpriv,
                    "--reuid=\(unprivilegedUID)", "--regid=\(unprivilegedGID)", "--clear-groups", "--"]
        }
        return [unshare, "--user", "--net", "--pid", "--fork", "--kill-child", "--"]
    }

    func runStep(_ step: SandboxStep, index: Int, wrapper: [String], workDir: String, ioDir: String) async throws -> SandboxOutcome {
        guard let prlimit = tools.prlimit else { throw BenchmarkError.sandboxUnavailable(reason: "prlimit not found") }
        let fm = FileManager.default
        let limits = step.limits
        let command = wrapper + [prlimit,
            "--cpu=\(max(1, limits.cpuSeconds))", "--as=\(limits.addressSpaceBytes)", "--fsize=\(max(1, limits.outputBytes))",
            "--nproc=\(limits.maxProcesses)", "--nofile=\(limits.maxOpenFiles)", "--core=0", "--"]
        // Arguments are passed to exec as raw bytes, so a payload need not be UTF-8; it ends at its
        // first NUL, as any exec argument does.
        var program: [[UInt8]] = ([step.executable] + step.arguments).map { Array($0.utf8) }
        if var payload = step.byteArgument {
            if let nul = payload.firstIndex(of: 0) { payload = Array(payload[..<nul]) }
            program.append(payload)
        }
        // The namespace's pid 1 is a shell that runs the program as its child and exits with its
        // status (128 + N for signal N): pid 1 itself ignores default-action signals, and unshare
        // cannot re-raise a child's SIGXCPU, so the program must not be pid 1.
        let argv: [[UInt8]] = (command + ["/bin/sh", "-c", "\"$@\"; exit $?", "sandbox"]).map { Array($0.utf8) } + program

        let stdinPath = (ioDir as NSString).appendingPathComponent("stdin-\(index)")
        let stdoutPath = (ioDir as NSString).appendingPathComponent("stdout-\(index)")
        let stderrPath = (ioDir as NSString).appendingPathComponent("stderr-\(index)")
        guard fm.createFile(atPath: stdinPath, contents: Data(step.stdin)) else {
            throw BenchmarkError.sandboxUnavailable(reason: "cannot create the input file in \(ioDir)")
        }
        let stdinFD = ChildProcess.aboveStandardStreams(open(stdinPath, O_RDONLY | O_CLOEXEC))
        let stdoutFD = ChildProcess.aboveStandardStreams(open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        let stderrFD = ChildProcess.aboveStandardStreams(open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        defer { for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) } }
        guard stdinFD >= 0, stdoutFD >= 0, stderrFD >= 0 else {
            throw BenchmarkError.sandboxUnavailable(reason: "cannot open the input and output files in \(ioDir)")
        }

        let watch = ProcessWatch()
        let started = Date()
        let pid = try ChildProcess.spawn(argv: argv,
                                         environment: ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=\(workDir)", "TMPDIR=\(workDir)", "LANG=C.UTF-8"],
                                         directory: workDir, stdin: stdinFD, stdout: stdoutFD, stderr: stderrFD)
        watch.pid = pid
        // The child leads its own process group (pgid == pid), so -pid reaches everything it spawned
        // that stayed in the group; the PID namespace catches the rest.
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0.01, limits.wallSeconds)) {
            watch.killOnDeadline()
        }
        let status = try await ChildProcess.waitForExit(pid, beforeReaping: { watch.markFinished() })
        let seconds = Date().timeIntervalSince(started)

        let cap = max(1, limits.outputBytes)
        let stdout = Array((try? Data(contentsOf: URL(fileURLWithPath: stdoutPath)))?.prefix(cap) ?? Data())
        let stderr = Array((try? Data(contentsOf: URL(fileURLWithPath: stderrPath)))?.prefix(cap) ?? Data())
        var termination: SandboxOutcome.Termination
        switch status {
        case .signaled(let signal): termination = .signaled(signal)
        case .exited(let code):
            // The pid-1 shell reports a program killed by signal N as exit 128 + N.
            termination = code > 128 && code < 160 ? .signaled(code - 128) : .exited(code)
        }
        if watch.timedOut { termination = .timedOut }
        let limitHit = stdout.count >= cap || stderr.count >= cap || termination == .signaled(SIGXFSZ)
        return SandboxOutcome(termination: termination, stdout: stdout, stderr: stderr, outputLimitHit: limitHit, seconds: seconds)
    }
}

/// Shared between the waiting thread and the deadline timer; the lock orders "finished" against
/// "kill" so we never signal a pid that has already been reaped and possibly reused.
final class ProcessWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    private var _timedOut = false
    private var _pid: pid_t = 0

    var pid: pid_t {
        get { lock.withLock { _pid } }
        set { lock.withLock { _pid = newValue } }
    }
    var timedOut: Bool { lock.withLock { _timedOut } }

    func markFinished() { lock.withLock { finished = true } }

    /// Kills the top process and its group. Killing `unshare` (the PID namespace's parent) makes
    /// --kill-child kill the namespace's init, and with it every process left in the namespace.
    func killOnDeadline() {
        lock.withLock {
            guard _pid > 0, !finished else { return }
            _timedOut = true
            kill(-_pid, SIGKILL)
            kill(_pid, SIGKILL)
        }
    }
}
