// Tests that the sandbox isolates for real: no network, not root, killed at the time limit,
// output capped, working directory removed; and that all 50 canary-exploit references score 1.0.
import Foundation
import Platform
import Testing
@testable import Benchmarks

/// CI sets CLEARINGHOUSE_SKIP_SANDBOX=1 only on machines that forbid namespaces; never by default.
let sandboxTestsEnabled = ProcessInfo.processInfo.environment["CLEARINGHOUSE_SKIP_SANDBOX"] != "1"

@Suite(.enabled(if: sandboxTestsEnabled, "sandbox tests disabled by CLEARINGHOUSE_SKIP_SANDBOX"))
struct SandboxTests {
    let sandbox = Sandbox()

    func python() throws -> String { try #require(sandbox.tools.python3, "python3 is needed (apt-get install python3)") }

    @Test func networkIsBlocked() async throws {
        let script = """
        import socket
        try:
            s = socket.create_connection(("127.0.0.1", 22), timeout=2)
            print("connected")
        except OSError as e:
            print("blocked", e.errno)
        """
        let outcome = try #require(try await sandbox.run(files: ["net.py": Array(script.utf8)],
                                                         steps: [SandboxStep(executable: try python(), arguments: ["net.py"])]).first)
        #expect(outcome.succeeded)
        #expect(outcome.stdoutText.hasPrefix("blocked"), "got \(outcome.stdoutText)")
        // Also no interface but a downed loopback: no route to any outside address.
        let outside = try #require(try await sandbox.run(files: [:], steps: [SandboxStep(executable: try python(), arguments: ["-c",
            "import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), timeout=2); print('connected')\nexcept OSError as e: print('blocked')"])]).first)
        #expect(outside.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "blocked")
    }

    @Test func runsAsNonRoot() async throws {
        let outcome = try #require(try await sandbox.run(files: [:], steps: [SandboxStep(executable: "/usr/bin/id", arguments: ["-u"])]).first)
        #expect(outcome.succeeded)
        let uid = try #require(Int(outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(uid != 0)
        // And it cannot write where only root may.
        let write = try #require(try await sandbox.run(files: [:], steps: [SandboxStep(executable: "/bin/sh", arguments: ["-c", "echo x > /etc/clearinghouse-sandbox-probe"])]).first)
        #expect(!write.succeeded)
        #expect(!FileManager.default.fileExists(atPath: "/etc/clearinghouse-sandbox-probe"))
    }

    @Test func infiniteLoopIsKilledAtTheWallClock() async throws {
        let limits = SandboxLimits(cpuSeconds: 30, wallSeconds: 1.0)
        let started = Date()
        let outcome = try #require(try await sandbox.run(files: [:], steps: [
            SandboxStep(executable: "/bin/sh", arguments: ["-c", "sleep 1000 & while :; do :; done"], limits: limits)]).first)
        #expect(outcome.termination == .timedOut)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func busyLoopIsKilledByTheCPULimit() async throws {
        let limits = SandboxLimits(cpuSeconds: 1, wallSeconds: 30)
        let outcome = try #require(try await sandbox.run(files: [:], steps: [
            SandboxStep(executable: try python(), arguments: ["-c", "while True: pass"], limits: limits)]).first)
        guard case .signaled(let signal) = outcome.termination else {
            Issue.record("expected a signal, got \(outcome.termination)")
            return
        }
        #expect(signal == SIGXCPU || signal == SIGKILL)
        #expect(outcome.seconds < 25)
    }

    @Test func outputIsCapped() async throws {
        let limits = SandboxLimits(wallSeconds: 20, outputBytes: 4096)
        let outcome = try #require(try await sandbox.run(files: [:], steps: [
            SandboxStep(executable: "/bin/sh", arguments: ["-c", "yes xxxxxxxx"], limits: limits)]).first)
        #expect(outcome.outputLimitHit)
        #expect(outcome.stdout.count <= 4096)
        #expect(outcome.termination != .exited(0))
    }

    @Test func memoryLimitStopsAHugeAllocation() async throws {
        let limits = SandboxLimits(addressSpaceBytes: 256 << 20)
        let outcome = try #require(try await sandbox.run(files: [:], steps: [
            SandboxStep(executable: try python(), arguments: ["-c", "x = bytearray(1 << 30); print('allocated')"], limits: limits)]).first)
        #expect(!outcome.succeeded)
        #expect(outcome.stderrText.contains("MemoryError"))
    }

    @Test func workingDirectoryIsFreshAndRemoved() async throws {
        // A private temporary root, so sandboxes of tests running in parallel do not show up here.
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent("sbx-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sandbox = Sandbox(temporaryRoot: root)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("clearinghouse-sbx-") })
        let outcomes = try await sandbox.run(files: ["given.txt": Array("hello".utf8)], steps: [
            SandboxStep(executable: "/bin/sh", arguments: ["-c", "ls -A; echo made > new.txt; cat given.txt"])])
        let outcome = try #require(outcomes.first)
        #expect(outcome.stdoutText == "given.txt\nhello")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("clearinghouse-sbx-") })
        #expect(after.subtracting(before).isEmpty)
    }

    @Test func theProgramInheritsNoDescriptorOfOursAndNoIgnoredSignal() async throws {
        // A descriptor we leave open without close-on-exec (as a careless library might) must not
        // reach the untrusted program; nor must our ignored SIGPIPE.
        let leaked = open("/dev/null", O_RDONLY)
        #expect(leaked > 2)
        defer { close(leaked) }
        let outcome = try #require(try await sandbox.run(files: [:], steps: [SandboxStep(executable: "/bin/sh", arguments: ["-c",
            "ls /proc/self/fd; grep -E '^Sig(Ign|Blk)' /proc/self/status"])]).first)
        #expect(outcome.succeeded, "\(outcome.termination) \(outcome.stderrText)")
        let lines = outcome.stdoutText.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        // 0, 1, 2 and the descriptor ls itself holds open while reading the directory.
        #expect(Array(lines.prefix(4)) == ["0", "1", "2", "3"], "got \(outcome.stdoutText)")
        // Nothing blocked, nothing ignored (grep's own view, inherited through every wrapper), except
        // signals 32 and 33: glibc's posix_spawn leaves its two internal signals ignored, and glibc
        // reinstalls their handlers in every program it starts.
        #expect(lines.dropFirst(4).first == "SigBlk: 0000000000000000", "got \(outcome.stdoutText)")
        let ignored = try #require(lines.last.flatMap { UInt64($0.dropFirst("SigIgn: ".count), radix: 16) }, "got \(outcome.stdoutText)")
        let glibcInternal: UInt64 = 1 << 31 | 1 << 32
        #expect(ignored & ~glibcInternal == 0, "ignored signal mask \(String(ignored, radix: 16))")
    }

    @Test func nonUTF8ArgumentBytesArriveIntact() async throws {
        let outcome = try #require(try await sandbox.run(files: [:], steps: [
            SandboxStep(executable: try python(), arguments: ["-c", "import sys,os; print(list(os.fsencode(sys.argv[1])))"],
                        byteArgument: [0x41, 0xFF, 0x9E, 0x42])]).first)
        #expect(outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "[65, 255, 158, 66]")
    }
}

@Suite(.enabled(if: sandboxTestsEnabled && TestData.root != nil, "needs ../shared/data and a working sandbox"))
struct CanaryExploitTests {
    func challenges() throws -> [ExploitChallenge] {
        let path = try #require(TestData.path("evals/cyberseceval/canary_exploit_generated/canary_exploit_sample50.json"))
        return try ExploitChallenge.load(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func everyReferenceAnswerScoresOneAndWrongAnswersDoNot() async throws {
        let all = try challenges()
        #expect(all.count == 50)
        #expect(Set(all.map(\.language)) == Set(ExploitLanguage.allCases))
        let verifier = ExploitVerifier()
        try await verifier.sandbox.checkAvailable()

        let started = Date()
        let references = try await verifier.verifyAll(all.map { ($0, $0.referenceAnswer ?? "") }, maxConcurrent: 2)
        let elapsed = Date().timeIntervalSince(started)
        print("canary-exploit: 50 references verified in \(String(format: "%.2f", elapsed)) s (2 at a time)")
        #expect(references.count == 50)
        for result in references {
            #expect(result.score == 1.0, "challenge \(result.challengeID): \(result.explanation)")
        }

        // Wrong answers: empty, and the reference with one payload byte changed (the last byte for
        // argv challenges, the overwrite value's low byte for buffer overflows).
        var wrong: [(challenge: ExploitChallenge, answer: String)] = []
        for challenge in all {
            wrong.append((challenge, ""))
            let bytes = ExploitAnswer.payload(for: challenge.referenceAnswer ?? "", challengeType: challenge.challengeType)
            wrong.append((challenge, alteredAnswer(bytes, challenge: challenge)))
        }
        let wrongResults = try await verifier.verifyAll(wrong, maxConcurrent: 2)
        for (item, result) in zip(wrong, wrongResults) {
            #expect(result.score < 1.0, "challenge \(item.challenge.id) scored 1.0 with wrong answer \(item.answer.debugDescription)")
        }
    }

    /// Re-encodes a changed reference as a bytes literal so the verifier decodes it as intended.
    func alteredAnswer(_ bytes: [UInt8], challenge: ExploitChallenge) -> String {
        var changed = bytes
        switch challenge.challengeType {
        case .bufferOverflow:
            // The overwrite value follows the run of 'A's; flip its low byte far out of the target range.
            if let first = changed.firstIndex(where: { $0 != UInt8(ascii: "A") }) { changed[first] ^= 0x80; changed[first + 1] ^= 0x40 }
        case .constraintSatisfaction:
            if challenge.language == .sqlite {
                // Change the value the injection writes, so the success check compares unequal.
                if let quote = changed.lastIndex(of: UInt8(ascii: "'")) { changed.insert(UInt8(ascii: "9"), at: quote) }
            } else if let last = changed.indices.last {
                changed[last] = changed[last] == UInt8(ascii: "!") ? UInt8(ascii: "?") : UInt8(ascii: "!")
            }
        }
        return "b'" + changed.map { byte in
            byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "'")
                ? String(UnicodeScalar(byte)) : String(format: "\\x%02x", byte)
        }.joined() + "'"
    }

    @Test func aModelReplyIsScoredThroughItsJSONAnswer() async throws {
        let all = try challenges()
        let challenge = try #require(all.first { $0.language == .python })
        let reference = try #require(challenge.referenceAnswer)
        let plain = String(decoding: ExploitAnswer.payload(for: reference, challengeType: challenge.challengeType), as: UTF8.self)
        let reply = "Here you go:\n```json\n{\"answer\": \"\(plain)\"}\n```"
        let answer = try #require(ExploitAnswer.extract(fromModelOutput: reply))
        let result = try await ExploitVerifier().verify(challenge, answer: answer)
        #expect(result.score == 1.0)
    }
}
