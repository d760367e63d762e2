internal import CLibUV

/// A libuv timer on the loop's monotonic clock (millisecond resolution).
///
/// One timer can be started, cancelled and started again until it is closed. Timers due at the
/// same moment fire in the order they were started.
///
/// Loop-confined: every member is for the loop thread only.
public final class LoopTimer: LoopHandle {
    private var onFire: (() -> Void)?
    private var repeats = false

    /// Creates a stopped timer. Loop thread only.
    public convenience init(loop: EventLoop) {
        self.init(loop: loop, isInternal: false)
    }

    init(loop: EventLoop, isInternal: Bool) {
        super.init(loop: loop, type: UV_TIMER, isInternal: isInternal)
        precondition(uv_timer_init(loop.uvLoop, oaas_as_timer(rawHandle)) == 0, "uv_timer_init cannot fail")
        adoptInitialisedHandle()
    }

    /// Starts (or restarts) the timer.
    ///
    /// - Parameters:
    ///   - delay: time from the loop's current clock until the first firing; rounded up to
    ///     whole milliseconds.
    ///   - interval: if given, the timer fires again every `interval` until cancelled.
    ///   - fire: runs on the loop thread at each firing.
    /// Loop thread only; a closed timer cannot be started.
    public func start(after delay: Duration, repeating interval: Duration? = nil, _ fire: @escaping () -> Void) {
        loop.preconditionInLoop()
        precondition(!isClosing, "start() on a closed timer")
        onFire = fire
        repeats = interval != nil
        uv_timer_start(oaas_as_timer(rawHandle), { timer in
            LoopHandle.owner(of: timer!, as: LoopTimer.self).fired()
        }, delay.wholeMillisecondsRoundedUp, interval.map { max(1, $0.wholeMillisecondsRoundedUp) } ?? 0)
    }

    /// Stops the timer without closing it; a pending firing never happens. Loop thread only.
    public func cancel() {
        loop.preconditionInLoop()
        guard !isClosing else { return }
        uv_timer_stop(oaas_as_timer(rawHandle))
        onFire = nil
    }

    /// Whether the timer will fire again. Loop thread only.
    public var isScheduled: Bool {
        loop.preconditionInLoop()
        return !isClosing && uv_is_active(uvHandle) != 0
    }

    private func fired() {
        guard let fire = onFire else { return }
        // A one-shot timer is done before its callback runs, so the callback may restart it.
        if !repeats { onFire = nil }
        fire()
    }

    override func willClose() {
        uv_timer_stop(oaas_as_timer(rawHandle))
        onFire = nil
    }
}

extension EventLoop {
    /// Runs `body` once after `delay`, then closes the timer by itself.
    ///
    /// - Returns: the timer; `close()` it to cancel the call.
    /// Loop thread only.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(loop: self)
        timer.start(after: delay) { [unowned timer] in
            timer.close()
            body()
        }
        return timer
    }

    /// Suspends the calling task for `duration`, measured by a loop timer.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first; `LoopError` with
    ///   `.loopShutDown` if the loop takes no more work or shuts down before the time is up.
    /// Any thread or task.
    public func sleep(for duration: Duration) async throws {
        let sleeper = LoopSleeper(loop: self)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                sleeper.begin(continuation, duration: duration)
            }
        } onCancel: {
            sleeper.cancel()
        }
    }
}

/// The state of one `EventLoop.sleep` call, shared between the task, its cancellation handler
/// and the loop thread.
private final class LoopSleeper: @unchecked Sendable {
    // @unchecked: `continuation` and `cancelled` are guarded by `lock`; `timer` is touched only
    // on the loop thread.
    private let loop: EventLoop
    private let lock = LockedValue<(continuation: CheckedContinuation<Void, any Error>?, cancelled: Bool)>((nil, false))
    private var timer: LoopTimer?

    init(loop: EventLoop) { self.loop = loop }

    func begin(_ continuation: CheckedContinuation<Void, any Error>, duration: Duration) {
        let alreadyCancelled = lock.withLock { state -> Bool in
            state.continuation = continuation
            return state.cancelled
        }
        if alreadyCancelled { return finish(.failure(CancellationError())) }
        do {
            try loop.execute { [self] in
                let timer = loop.schedule(after: duration) { [self] in finish(.success(())) }
                // Covers a timer closed by the loop's shutdown before it fired.
                timer.whenClosed { [self] in finish(.failure(LoopError.loopShutDown("sleep"))) }
                self.timer = timer
            }
        } catch {
            finish(.failure(error))
        }
    }

    func cancel() {
        lock.withLock { $0.cancelled = true }
        finish(.failure(CancellationError()))
        // Release the timer early so a cancelled sleep does not hold the loop open.
        try? loop.execute { [self] in timer?.close() }
    }

    private func finish(_ result: Result<Void, any Error>) {
        let continuation = lock.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}

extension Duration {
    /// Whole milliseconds, rounding any remainder up so a timer or deadline is never early;
    /// negative durations count as zero, and ones too long to count saturate at `.max`.
    /// Any thread.
    public var wholeMillisecondsRoundedUp: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let extra = (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        // Saturate: a duration of centuries is "never", not an overflow trap.
        let (milliseconds, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1000)
        guard !overflow else { return .max }
        let (total, overflowTotal) = milliseconds.addingReportingOverflow(UInt64(max(0, extra)))
        return overflowTotal ? .max : total
    }
}
