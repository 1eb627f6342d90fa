// Runs Swift tasks on one NIO event loop. `eval run` puts its sample tasks and its plain-http
// connections on the same loop, so a reply resumes the sample that waits for it on the thread
// that read it: no hand-over to the cooperative pool and back (a futex wake and two context
// switches per sample, a third of the client's CPU at 500 connections before this).
// Only for work that never blocks its thread: exploit verification runs subprocesses and stays on
// the cooperative pool.
import NIOCore
import NIOPosix

public final class EventLoopTaskExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(loop: any EventLoop) { self.loop = loop }

    /// On one loop of NIO's shared event loop group.
    public static func shared() -> EventLoopTaskExecutor {
        EventLoopTaskExecutor(loop: MultiThreadedEventLoopGroup.singleton.next())
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // From the loop itself this only queues the job; from elsewhere it also wakes the loop.
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
