// A first-in-first-out async semaphore: bounds how many tasks hold a scarce resource (the one SQLite
// writer, the pool of readers) without blocking a thread while they wait.
import Synchronization

public final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var waiterHead = 0
    }
    private let state: Mutex<State>

    public init(value: Int) {
        state = Mutex(State(available: value))
    }

    /// How many tasks are queued for a permit.
    public var waiting: Int { state.withLock { $0.waiters.count - $0.waiterHead } }

    public func wait() async {
        let acquired = state.withLock { s -> Bool in
            if s.available > 0 && s.waiterHead == s.waiters.count {
                s.available -= 1
                return true
            }
            return false
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.available > 0 && s.waiterHead == s.waiters.count {
                    s.available -= 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    public func signal() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiterHead < s.waiters.count {
                let c = s.waiters[s.waiterHead]
                s.waiterHead += 1
                if s.waiterHead > 64 && s.waiterHead * 2 > s.waiters.count {
                    s.waiters.removeFirst(s.waiterHead)
                    s.waiterHead = 0
                }
                return c
            }
            s.available += 1
            return nil
        }
        next?.resume()
    }

    public func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await wait()
        defer { signal() }
        return try await body()
    }
}
