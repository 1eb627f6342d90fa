// Starting and waiting for a child process without Foundation's `Process`.
//
// `posix_spawn` (glibc runs it as clone + exec, no copy of our address space) with file actions that
// put the given descriptors on 0, 1 and 2, close every other descriptor in the child, and change to
// the working directory; the child leads a new process group and starts with default signal
// dispositions and an empty signal mask (we ignore SIGPIPE; a challenge program must not inherit that).
// Except glibc's two internal signals (32 and 33), which its posix_spawn leaves ignored: glibc
// programs install their own handlers for them at start; a static non-glibc program keeps them ignored.
// Foundation's `Process` walked /proc/self/fd in the child itself and crashed there once with about
// 1,450 descriptors open; and whatever it missed, an untrusted program would have inherited.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum ChildProcess {
    enum Status: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Starts `argv[0]` (an absolute path) with exactly `environment`, in `directory`. Returns its pid.
    static func spawn(argv: [[UInt8]], environment: [String], directory: String,
                      stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        guard let path = argv.first, !path.isEmpty else {
            throw BenchmarkError.sandboxUnavailable(reason: "no program to start")
        }
        guard let extensions = GlibcSpawnExtensions.shared else {
            throw BenchmarkError.sandboxUnavailable(reason: "this C library cannot close descriptors or change directory in posix_spawn (glibc 2.34 or later is needed)")
        }
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        var code = posix_spawn_file_actions_init(&actions)
        guard code == 0 else { throw spawnError("posix_spawn_file_actions_init", code) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        code = posix_spawnattr_init(&attributes)
        guard code == 0 else { throw spawnError("posix_spawnattr_init", code) }
        defer { posix_spawnattr_destroy(&attributes) }

        // The dup2 actions run in order, so a source must not be a target an earlier one overwrote:
        // callers pass descriptors of 3 or more (see `aboveStandardStreams`).
        guard stdin > 2, stdout > 2, stderr > 2 else {
            throw BenchmarkError.sandboxUnavailable(reason: "the child's standard streams must come from descriptors above 2")
        }
        for (source, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            code = posix_spawn_file_actions_adddup2(&actions, source, target)
            if code != 0 { throw spawnError("adddup2", code) }
        }
        code = extensions.addCloseFrom(&actions, 3)
        if code != 0 { throw spawnError("addclosefrom", code) }
        code = directory.withCString { extensions.addChdir(&actions, $0) }
        if code != 0 { throw spawnError("addchdir", code) }

        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        code = posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        if code != 0 { throw spawnError("posix_spawnattr_setflags", code) }

        let arguments = argv.map(Self.cString)
        let environmentStrings = environment.map { Self.cString(Array($0.utf8)) }
        defer {
            arguments.forEach { $0?.deallocate() }
            environmentStrings.forEach { $0?.deallocate() }
        }
        var pid: pid_t = 0
        code = posix_spawn(&pid, arguments[0]!, &actions, &attributes, arguments + [nil], environmentStrings + [nil])
        if code != 0 {
            throw BenchmarkError.sandboxUnavailable(reason: "cannot start \(String(decoding: path, as: UTF8.self)): \(String(cString: strerror(code)))")
        }
        return pid
    }

    /// Moves a freshly opened descriptor (close-on-exec) to 3 or above: a process started with
    /// stdin, stdout or stderr closed gets 0, 1 or 2 from `open`, which `spawn` cannot use.
    static func aboveStandardStreams(_ fd: Int32) -> Int32 {
        guard fd >= 0, fd <= 2 else { return fd }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        close(fd)
        return moved
    }

    /// Waits on a thread of its own (a blocking wait does not belong on the cooperative pool).
    /// `beforeReaping` runs once the child has exited but while its pid is still reserved, so a
    /// deadline kill ordered against it can never reach a reused pid. Throws if the child cannot
    /// be waited for (something else reaped it): its outcome is unknown, never a success.
    static func waitForExit(_ pid: pid_t, beforeReaping: @escaping @Sendable () -> Void) async throws -> Status {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                var info = siginfo_t()
                var result: Int32
                repeat { result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) } while result != 0 && errno == EINTR
                let waitError = result == 0 ? 0 : errno
                beforeReaping()
                var status: Int32 = 0
                var reaped: pid_t
                repeat { reaped = waitpid(pid, &status, 0) } while reaped == -1 && errno == EINTR
                guard waitError == 0, reaped == pid else {
                    let code = waitError != 0 ? waitError : errno
                    continuation.resume(throwing: BenchmarkError.sandboxUnavailable(
                        reason: "cannot wait for process \(pid): \(String(cString: strerror(code)))"))
                    return
                }
                let low = status & 0x7f
                continuation.resume(returning: low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low))
            }
            thread.name = "sandbox-wait-\(pid)"
            thread.start()
        }
    }

    private static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (offset, byte) in bytes.enumerated() { pointer[offset] = CChar(bitPattern: byte) }
        pointer[bytes.count] = 0
        return pointer
    }

    private static func spawnError(_ call: String, _ code: Int32) -> BenchmarkError {
        .sandboxUnavailable(reason: "\(call) failed: \(String(cString: strerror(code)))")
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34) and `_addchdir_np` (2.29) are declared
/// only under _GNU_SOURCE, which Swift's Glibc module does not set, so they are looked up by name.
struct GlibcSpawnExtensions: @unchecked Sendable {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    let addCloseFrom: AddCloseFrom
    let addChdir: AddChdir

    static let shared: GlibcSpawnExtensions? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let closeFrom = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np"),
              let chdir = dlsym(handle, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return GlibcSpawnExtensions(addCloseFrom: unsafeBitCast(closeFrom, to: AddCloseFrom.self),
                                    addChdir: unsafeBitCast(chdir, to: AddChdir.self))
    }()
}
