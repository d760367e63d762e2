internal import CLibUV

/// One unit of work handed to the loop from any thread.
enum LoopJob: Sendable {
    case work(@Sendable () -> Void)
    case task(UnownedJob)
    case beginShutdown(gracePeriod: Duration)
}

/// The cross-thread queue, guarded by `EventLoop.door`.
struct DoorState {
    var jobs: [LoopJob] = []
    /// False from the moment `stop()` is called: `execute` then fails instead of queueing.
    var acceptsWork = true
    /// Tasks may still resume while the loop drains; false only once the loop has finished.
    var acceptsTasks = true
    var stopRequested = false
    /// The `uv_async_t` to wake the loop, or nil once it is closed. Kept under the lock so no
    /// thread can signal it after the loop thread has freed it.
    var wakeHandle: WakeHandle?
}

/// The door's `uv_async_t`, which `uv_async_send` may signal from any thread.
struct WakeHandle: @unchecked Sendable {
    // @unchecked: the pointer is only passed to uv_async_send, which is thread-safe, and only
    // while `DoorState.wakeHandle` holds it under the lock.
    let async: UnsafeMutablePointer<uv_async_t>
    func signal() { uv_async_send(async) }
}

/// The `uv_async_t` behind the door. A wake-up drains the whole queue, however many sends
/// libuv coalesced into it.
final class DoorHandle: LoopHandle {
    init(loop: EventLoop) {
        super.init(loop: loop, type: UV_ASYNC, isInternal: true)
        let status = uv_async_init(loop.uvLoop, oaas_as_async(rawHandle)) { async in
            LoopHandle.owner(of: async!, as: DoorHandle.self).loop.drainDoor()
        }
        precondition(status == 0, "uv_async_init cannot fail on an initialised loop")
        adoptInitialisedHandle()
        let wake = WakeHandle(async: oaas_as_async(rawHandle))
        loop.door.withLock { $0.wakeHandle = wake }
    }
}

extension EventLoop {
    /// Runs `work` on the loop thread, after everything queued before it.
    ///
    /// Calls from one thread run in the order they were made. A call made on the loop thread
    /// still goes through the queue (it never runs inline).
    /// - Throws: `LoopError` with code `.loopShutDown` once `stop()` has been called: the work
    ///   is refused, never silently dropped.
    /// Any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) throws(LoopError) {
        guard enqueue(.work(work), isTask: false) else { throw .loopShutDown("execute on loop '\(name)'") }
    }

    /// Runs `body` on the loop thread and returns its result to the caller.
    ///
    /// - Throws: `.loopShutDown` when the loop takes no more work, or whatever `body` throws.
    /// Any thread (not to be awaited from a job already running on this loop's thread in a
    /// way that blocks it).
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await resumeFromLoop { complete in complete(Result { try body() }) }
    }

    /// Runs `start` on the loop thread and suspends until it calls `complete` (once, from any
    /// thread); if the loop refuses the work, the refusal is thrown.
    func resumeFromLoop<T: Sendable>(
        _ start: @escaping @Sendable (_ complete: @escaping @Sendable (Result<T, any Error>) -> Void) -> Void
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            do {
                try execute { start { continuation.resume(with: $0) } }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Queues a job and wakes the loop when the queue was empty. Returns false if refused.
    func enqueue(_ job: LoopJob, isTask: Bool) -> Bool {
        door.withLock { state in
            guard isTask ? state.acceptsTasks : state.acceptsWork, let wake = state.wakeHandle else {
                return false
            }
            state.jobs.append(job)
            // A non-empty queue already has a wake-up pending (the drain swaps the whole queue
            // out under this lock), so only the first job after a drain needs to signal.
            if state.jobs.count == 1 { wake.signal() }
            return true
        }
    }

    /// Runs every queued job. Loop thread.
    func drainDoor() {
        var batch = spareBatch
        spareBatch = []
        door.withLock { swap(&$0.jobs, &batch) }
        for job in batch {
            switch job {
            case .work(let work):
                work()
            case .task(let task):
                task.runSynchronously(isolatedTo: asUnownedSerialExecutor(),
                                      taskExecutor: asUnownedTaskExecutor())
            case .beginShutdown(let gracePeriod):
                beginShutdown(gracePeriod: gracePeriod)
            }
        }
        batch.removeAll(keepingCapacity: true)
        spareBatch = batch
    }

    var doorIsEmpty: Bool { door.withLock { $0.jobs.isEmpty } }
}
