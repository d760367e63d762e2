internal import CLibUV

/// How a loop ended: the proof that shutdown left nothing behind.
public struct ShutdownReport: Sendable, Equatable, CustomStringConvertible {
    /// Handles that kept the loop alive past the grace period, or were left open but idle
    /// (e.g. a stopped timer nobody closed), which shutdown had to close itself. Zero when every
    /// owner closed its handles: a non-zero count is a leak.
    public let forcedHandleCloses: Int
    /// Handles marked as not keeping the loop alive (`keepsLoopAlive = false`, such as signal
    /// watchers) that were still open at the end and were closed by shutdown, as they asked.
    public let backgroundHandleCloses: Int
    /// What `uv_loop_close` returned: 0, or a negative libuv code such as `EBUSY`.
    public let loopCloseStatus: Int32

    /// True when nothing was forced and libuv released the loop.
    public var isClean: Bool { forcedHandleCloses == 0 && loopCloseStatus == 0 }

    public var description: String {
        "forced handle closes: \(forcedHandleCloses), background handle closes: \(backgroundHandleCloses), uv_loop_close: \(loopCloseStatus)"
    }
}

enum Lifecycle {
    case running
    case draining
    case finished(ShutdownReport)
}

struct TerminationState {
    var report: ShutdownReport?
    var waiters: [CheckedContinuation<ShutdownReport, Never>] = []
    var thread: LoopThread?
    var joined = false
}

extension EventLoop {
    /// Asks the loop to shut down gracefully. Returns at once.
    ///
    /// From this call on, `execute` fails with `.loopShutDown`; jobs accepted before it still
    /// run. Shutdown hooks run, then open handles get `gracePeriod` to close before they are
    /// closed by force. Calling again has no further effect.
    /// Any thread.
    public func stop(gracePeriod: Duration = .seconds(5)) {
        door.withLock { state in
            guard !state.stopRequested, let wake = state.wakeHandle else { return }
            state.stopRequested = true
            state.acceptsWork = false
            state.jobs.append(.beginShutdown(gracePeriod: gracePeriod))
            if state.jobs.count == 1 { wake.signal() }
        }
    }

    /// Blocks until an owned loop's thread has finished, and returns how it ended.
    /// Not on the loop's own thread; owned loops only.
    @discardableResult
    public func join() -> ShutdownReport {
        precondition(mode == .owned, "join() is for owned loops; an embedded loop ends when run() returns")
        precondition(!inLoop, "join() on the loop's own thread would wait forever")
        let thread = termination.withLock { state -> LoopThread? in
            defer { state.joined = true }
            return state.joined ? nil : state.thread
        }
        thread?.join()
        return waitForReportBlocking()
    }

    /// `stop(gracePeriod:)` then `join()`. Not on the loop's own thread; owned loops only.
    @discardableResult
    public func shutdown(gracePeriod: Duration = .seconds(5)) -> ShutdownReport {
        stop(gracePeriod: gracePeriod)
        return join()
    }

    /// Suspends until the loop has finished shutting down. Any thread, any mode.
    public func terminated() async -> ShutdownReport {
        await withCheckedContinuation { continuation in
            let ready = termination.withLock { state -> ShutdownReport? in
                if let report = state.report { return report }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The report, once the loop has finished; nil before. Any thread.
    public var shutdownReport: ShutdownReport? { termination.withLock { $0.report } }

    private func waitForReportBlocking() -> ShutdownReport {
        // After the thread has been joined the report is always there; the loop publishes it
        // before its thread body returns.
        guard let report = shutdownReport else {
            preconditionFailure("loop thread ended without a shutdown report")
        }
        return report
    }

    /// Runs an embedded loop until it has shut down (after someone calls `stop()`).
    ///
    /// - Returns: how the loop ended.
    /// The loop's own thread only; not from inside a loop callback.
    @discardableResult
    public func run() -> ShutdownReport {
        precondition(mode == .embedded, "an owned loop runs on its own thread")
        preconditionInLoop()
        runUntilFinished()
        guard case .finished(let report) = lifecycle else { preconditionFailure("run() ended early") }
        return report
    }

    /// Runs one turn of an embedded loop.
    ///
    /// - Parameter waitForEvents: block until something happens (`UV_RUN_ONCE`) or only
    ///   handle what is ready now (`UV_RUN_NOWAIT`).
    /// - Returns: false once the loop has finished shutting down.
    /// The loop's own thread only; not from inside a loop callback.
    @discardableResult
    public func runOnce(waitForEvents: Bool = true) -> Bool {
        precondition(mode == .embedded, "an owned loop runs on its own thread")
        preconditionInLoop()
        switch lifecycle {
        case .finished: return false
        case .running, .draining: break
        }
        precondition(!isInsideRun, "runOnce() called from inside a loop callback")
        isInsideRun = true
        uv_run(uvLoop, waitForEvents ? UV_RUN_ONCE : UV_RUN_NOWAIT)
        isInsideRun = false
        if case .draining = lifecycle, uv_loop_alive(uvLoop) == 0 {
            completeShutdown()
        }
        if case .finished = lifecycle { return false }
        return true
    }

    func runUntilFinished() {
        precondition(!isInsideRun, "run() called from inside a loop callback")
        while true {
            switch lifecycle {
            case .finished:
                return
            case .draining where uv_loop_alive(uvLoop) == 0:
                completeShutdown()
            case .running, .draining:
                isInsideRun = true
                // While running, the door's async handle is referenced, so this returns only
                // once shutdown has begun and every referenced handle is gone.
                uv_run(uvLoop, UV_RUN_DEFAULT)
                isInsideRun = false
            }
        }
    }

    /// First step of shutdown, on the loop thread: hooks, grace timer, let the loop wind down.
    func beginShutdown(gracePeriod: Duration) {
        guard case .running = lifecycle else { return }
        lifecycle = .draining
        let hooks = shutdownHooks
        shutdownHooks = []
        for hook in hooks { hook.run() }

        // libuv timers count from the clock cached at the start of the turn; refresh it so the
        // grace period is measured from now, not from whenever this turn began.
        uv_update_time(uvLoop)
        let timer = LoopTimer(loop: self, isInternal: true)
        timer.keepsLoopAlive = false
        timer.start(after: gracePeriod) { [unowned self] in
            // Background handles do not hold the loop up; they are closed at the very end.
            for handle in self.liveUserHandles() where handle.keepsLoopAlive {
                self.forcedHandleCloses += 1
                handle.close()
            }
        }
        graceTimer = timer
        doorHandle?.keepsLoopAlive = false
    }

    /// Last step: nothing referenced is left. Close leftovers, then the runtime's own handles,
    /// then the loop itself, and publish the report.
    func completeShutdown() {
        while true {
            drainDoor()
            for handle in liveUserHandles() {
                // Idle but referenced handles never block uv_run, yet nobody closed them: leaks.
                // Unreferenced ones said they may outlive the work; closing them is expected.
                if handle.keepsLoopAlive { forcedHandleCloses += 1 } else { backgroundHandleCloses += 1 }
                handle.close()
            }
            if openUserHandles == 0, uv_loop_alive(uvLoop) == 0 {
                let closed = door.withLock { state -> Bool in
                    guard state.jobs.isEmpty else { return false }
                    state.acceptsTasks = false
                    state.wakeHandle = nil
                    return true
                }
                if closed { break }
            }
            isInsideRun = true
            uv_run(uvLoop, UV_RUN_ONCE)
            isInsideRun = false
        }

        graceTimer?.close()
        doorHandle?.close()
        flushHooks?.close()
        isInsideRun = true
        uv_run(uvLoop, UV_RUN_DEFAULT)
        isInsideRun = false
        graceTimer = nil
        doorHandle = nil
        flushHooks = nil

        let status = uv_loop_close(uvLoop)
        if status == 0 { uvLoop.deallocate() }
        sharedReadBuffer.deallocate()
        let report = ShutdownReport(forcedHandleCloses: forcedHandleCloses,
                                    backgroundHandleCloses: backgroundHandleCloses, loopCloseStatus: status)
        lifecycle = .finished(report)
        // Observers learn it before anyone waiting on `terminated()` or `join()` goes on.
        let observers = finishObservers.values
        finishObservers = [:]
        for observer in observers { observer.loopDidFinish() }
        let waiters = termination.withLock { state in
            state.report = report
            let waiting = state.waiters
            state.waiters = []
            return waiting
        }
        for waiter in waiters { waiter.resume(returning: report) }
    }

    /// Tells `observer` (held strongly until then) when the loop has finished shutting down,
    /// on the loop thread, after every handle is closed: nothing on the loop will call back
    /// any more. For work that waits on the loop from outside and must not wait forever when
    /// the loop ends under it. Loop thread only; a loop thread that runs no more code cannot
    /// register, so there is no "already finished" case.
    public func addFinishObserver(_ observer: LoopFinishObserver) {
        preconditionInLoop()
        finishObservers[ObjectIdentifier(observer)] = observer
    }

    /// Forgets an observer that no longer needs telling. Loop thread only.
    public func removeFinishObserver(_ observer: LoopFinishObserver) {
        preconditionInLoop()
        finishObservers[ObjectIdentifier(observer)] = nil
    }

    /// Open user handles that nobody has started closing.
    func liveUserHandles() -> [LoopHandle] {
        var found: [LoopHandle] = []
        withUnsafeMutablePointer(to: &found) { list in
            uv_walk(uvLoop, { handle, context in
                guard let handle, let data = oaas_handle_data(handle) else { return }
                let owner = Unmanaged<LoopHandle>.fromOpaque(data).takeUnretainedValue()
                guard !owner.isInternal, !owner.isClosing else { return }
                context!.assumingMemoryBound(to: [LoopHandle].self).pointee.append(owner)
            }, list)
        }
        return found
    }
}

/// Told by ``EventLoop/addFinishObserver(_:)`` that its loop has finished. Loop-confined.
public protocol LoopFinishObserver: AnyObject {
    func loopDidFinish()
}
