import Foundation
import OaasLoop

/// Occupies every thread of libuv's pool with work that waits for `release()`, so that work
/// submitted meanwhile (a name lookup, `runBlocking`) stays queued: tests use it to catch such
/// work before it starts, to cancel it or let it time out.
///
/// libuv's pool is shared by every loop of the process, so hold it briefly, and always
/// release it (`defer`): a loop cannot finish shutting down while its blocking work waits.
/// One test at a time occupies it: two tests that each took part of the pool would wait for
/// the rest of it until both gave up. Any thread.
public final class BusyThreadPool: @unchecked Sendable {
    // @unchecked: `started` and `released` are only touched under `condition` (pthread-based,
    // which ThreadSanitizer sees).
    private let condition = NSCondition()
    private var started = 0
    private var released = false
    /// Held from `occupy` to the first `release`, so occupations never overlap.
    private static let turn = AsyncTurn()

    /// libuv's pool size: `UV_THREADPOOL_SIZE` when set (libuv clamps it to 1...1024), else 4.
    public static var threadCount: Int {
        let configured = ProcessInfo.processInfo.environment["UV_THREADPOOL_SIZE"].flatMap(Int.init) ?? 4
        return min(max(configured, 1), 1024)
    }

    private init() {}

    /// Submits one waiting job per pool thread through `loop` and returns once all of them
    /// run.
    /// - Throws: `.loopShutDown` if the loop takes no work; `BusyThreadPoolTimeout` if other
    ///   work kept a pool thread for `limit` (the jobs that did start are released).
    /// Any task (not the loop's own thread).
    public static func occupy(_ loop: EventLoop, within limit: Duration = .seconds(20)) async throws -> BusyThreadPool {
        await turn.wait()
        // From here on the pool holds the turn: every way out that does not hand the pool to
        // the caller releases it, or every later occupation would wait forever.
        let pool = BusyThreadPool()
        do {
            let count = threadCount
            try await loop.submit {
                for _ in 0..<count {
                    loop.runBlocking({ pool.hold() }, completion: { _ in })
                }
            }
            // Other tests may hold pool threads for a while: wait until every one of ours runs.
            let deadline = ContinuousClock.now + limit
            while pool.startedCount < count {
                guard ContinuousClock.now < deadline else { throw BusyThreadPoolTimeout() }
                try await Task.sleep(for: .milliseconds(1))
            }
            return pool
        } catch {
            pool.release()
            throw error
        }
    }

    /// Lets every waiting job finish. Idempotent. Any thread.
    public func release() {
        condition.lock()
        let first = !released
        released = true
        condition.broadcast()
        condition.unlock()
        if first { Self.turn.pass() }
    }

    private var startedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return started
    }

    private func hold() {
        condition.lock()
        started += 1
        while !released { condition.wait() }
        condition.unlock()
    }
}

/// Other work kept libuv's pool busy longer than ``BusyThreadPool/occupy(_:within:)`` waited.
public struct BusyThreadPoolTimeout: Error, CustomStringConvertible {
    public var description: String { "libuv's thread pool stayed busy with other work" }
}
