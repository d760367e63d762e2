import Dispatch
import OaasLoop

/// Runs work on a loop and blocks the calling thread until it reports back: how the
/// synchronous management calls (`startServer`, `stopServer`) reach a loop.
enum LoopWait {
    struct TimedOut: Error, CustomStringConvertible {
        let loop: String
        let timeout: Duration
        var description: String { "the event loop '\(loop)' did not answer within \(timeout); is it running?" }
    }

    /// Calls `start` on the loop thread (inline when already there) and waits until it calls
    /// `complete`.
    ///
    /// `timeout` bounds the wait for the loop to pick the work up: if it has not started by
    /// then, it is withdrawn (it will never run) and ``TimedOut`` is thrown, so a late loop
    /// cannot do work its caller was told failed. Work that has started is waited for.
    /// - Throws: the loop's refusal, ``TimedOut``, or what `start` reports.
    static func run<T>(on loop: EventLoop, timeout: Duration,
                       _ start: @escaping (_ complete: @escaping (Result<T, any Error>) -> Void) -> Void) throws -> T {
        let result = LockedValue<Result<T, any Error>?>(nil)
        let semaphore = DispatchSemaphore(value: 0)
        let transfer = UncheckedTransfer(start)
        let phase = LockedValue(Phase.queued)
        let work: @Sendable () -> Void = {
            let go = phase.withLock { phase -> Bool in
                guard phase == .queued else { return false }
                phase = .started
                return true
            }
            guard go else { return }
            transfer.value { outcome in
                result.withLock { $0 = outcome }
                semaphore.signal()
            }
        }
        if loop.inLoop {
            work()
        } else {
            try loop.execute(work)
        }
        let wait = DispatchTime.now() + .nanoseconds(Int(min(timeout.nanoseconds, Int64(Int32.max) * 1_000_000_000)))
        if loop.inLoop {
            // On the loop thread nothing else can run while we wait, so the work must already
            // have completed inline.
            guard let outcome = result.withLock({ $0 }) else { preconditionFailure("loop work that must finish inline suspended") }
            return try outcome.get()
        }
        if semaphore.wait(timeout: wait) == .timedOut {
            let withdrawn = phase.withLock { phase -> Bool in
                guard phase == .queued else { return false }
                phase = .withdrawn
                return true
            }
            if withdrawn { throw TimedOut(loop: loop.name, timeout: timeout) }
            semaphore.wait()
        }
        guard let outcome = result.withLock({ $0 }) else { preconditionFailure("loop work signalled without a result") }
        return try outcome.get()
    }

    private enum Phase { case queued, started, withdrawn }
}
