import Synchronization
internal import CLibUV

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// One libuv event loop and the thread it belongs to.
///
/// Two modes:
/// - **owned** (`EventLoop.startOwned`): the loop runs on a thread of its own; stop it from
///   any other thread with `stop()` and wait with `join()` (or `shutdown()`, which does both).
/// - **embedded** (`EventLoop.makeEmbedded`): the loop belongs to the thread that made it, and
///   that thread drives it by calling `run()` or `runOnce()`.
///
/// Everything the loop owns (handles, connections, timers) is confined to its thread. Public
/// entry points check the thread with a precondition. The only ways in from another thread are
/// `execute(_:)`, `submit(_:)`, `stop(gracePeriod:)`, the executor conformances and the
/// termination waits; those are safe from any thread.
///
/// Shutdown is graceful: `stop()` closes the door to new work, runs every job already accepted,
/// calls the shutdown hooks so owners can close their handles, and waits up to a grace period
/// for the handles to close. What is still open then is closed by force and counted in the
/// `ShutdownReport`, together with the result of `uv_loop_close`. A clean report (nothing forced,
/// close status 0) proves nothing leaked.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: the thread-safe parts are the locked values and atomics below; every other stored
    // property is touched only on the loop thread, which the preconditions enforce.

    /// How the loop is driven.
    public enum Mode: Sendable {
        /// The loop runs on a thread it created.
        case owned
        /// The caller's thread runs the loop through `run()` / `runOnce()`.
        case embedded
    }

    /// A label for logs and thread names.
    public let name: String
    /// Whether the loop owns its thread.
    public let mode: Mode

    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private let threadID = Atomic<UInt>(0)

    /// Cross-thread work queue; see `EventLoop+Door.swift`.
    let door = LockedValue(DoorState())
    /// The finished report and anyone waiting for it; see `EventLoop+Lifecycle.swift`.
    let termination = LockedValue(TerminationState())

    // Loop-thread state.
    @exclusivity(unchecked) var lifecycle: Lifecycle = .running
    @exclusivity(unchecked) var isInsideRun = false
    @exclusivity(unchecked) var openUserHandles = 0
    @exclusivity(unchecked) var openInternalHandles = 0
    @exclusivity(unchecked) var forcedHandleCloses = 0
    @exclusivity(unchecked) var backgroundHandleCloses = 0
    @exclusivity(unchecked) var shutdownHooks: [(id: ShutdownHookID, run: () -> Void)] = []
    @exclusivity(unchecked) var nextShutdownHookID: UInt64 = 0
    @exclusivity(unchecked) var finishObservers: [ObjectIdentifier: LoopFinishObserver] = [:]
    @exclusivity(unchecked) var spareBatch: [LoopJob] = []
    @exclusivity(unchecked) var doorHandle: DoorHandle?
    @exclusivity(unchecked) var flushHooks: FlushHooks?
    @exclusivity(unchecked) var graceTimer: LoopTimer?
    /// Connections with bytes waiting for this turn's single write.
    @exclusivity(unchecked) var connectionsToFlush: [TCPConnection] = []
    @exclusivity(unchecked) var spareFlushList: [TCPConnection] = []
    @exclusivity(unchecked) var turnObservers: [any LoopTurnObserver] = []
    @exclusivity(unchecked) var spareObserverList: [any LoopTurnObserver] = []
    /// One read buffer shared by every connection: reads are delivered one at a time on the
    /// loop thread and consumers must not keep the bytes past the callback.
    let sharedReadBuffer: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) var ownedThread: LoopThread?

    /// Size of the shared read buffer: the most one read callback delivers.
    public static let readChunkSize = 64 * 1024

    private init(name: String, mode: Mode) throws(LoopError) {
        self.name = name
        self.mode = mode
        oaas_ignore_sigpipe()
        uvLoop = .allocate(capacity: 1)
        let status = uv_loop_init(uvLoop)
        guard status == 0 else {
            uvLoop.deallocate()
            throw LoopError(uv: status, operation: "uv_loop_init for loop '\(name)'")
        }
        sharedReadBuffer = .allocate(byteCount: Self.readChunkSize, alignment: 16)
    }

    /// Creates a loop bound to the calling thread, which must drive it with `run()` or
    /// `runOnce()`.
    ///
    /// The loop is ready for handles and `execute` at once. Call `stop()` to end it; `run()`
    /// returns when shutdown completes.
    /// - Throws: `LoopError` when libuv cannot create the loop.
    /// Any thread; that thread becomes the loop's.
    public static func makeEmbedded(name: String = "oaas-embedded-loop") throws(LoopError) -> EventLoop {
        let loop = try EventLoop(name: name, mode: .embedded)
        loop.bindToCurrentThread()
        loop.installInternalHandles()
        return loop
    }

    /// Creates a loop and starts it on a new thread of its own.
    ///
    /// Returns once the loop thread is running and ready to take work.
    /// - Throws: `LoopError` when libuv cannot create the loop or the thread cannot start.
    /// Any thread.
    public static func startOwned(name: String = "oaas-loop") throws(LoopError) -> EventLoop {
        let loop = try EventLoop(name: name, mode: .owned)
        let ready = ThreadGate()
        let thread = try LoopThread.spawn(name: name) {
            loop.bindToCurrentThread()
            loop.installInternalHandles()
            ready.open()
            loop.runUntilFinished()
        }
        ready.wait()
        loop.termination.withLock { $0.thread = thread }
        return loop
    }

    private func bindToCurrentThread() {
        threadID.store(oaas_current_thread_id(), ordering: .releasing)
    }

    private func installInternalHandles() {
        doorHandle = DoorHandle(loop: self)
        flushHooks = FlushHooks(loop: self)
    }

    /// Whether the caller is on this loop's thread. Any thread.
    public var inLoop: Bool {
        threadID.load(ordering: .relaxed) == oaas_current_thread_id()
    }

    /// Traps unless called on the loop thread: loop-confined state is touched only there.
    /// Any thread.
    public func preconditionInLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inLoop, "must be called on the thread of event loop '\(name)'", file: file, line: line)
    }

    /// The loop's cached monotonic clock in milliseconds, as timers see it. Loop thread only.
    public var nowMilliseconds: UInt64 {
        preconditionInLoop()
        return uv_now(uvLoop)
    }

    /// How many handles the user (not the runtime) has open. Loop thread only.
    public var openHandleCount: Int {
        preconditionInLoop()
        return openUserHandles
    }

    func handleOpened(isInternal: Bool) {
        if isInternal { openInternalHandles += 1 } else { openUserHandles += 1 }
    }

    func handleClosed(isInternal: Bool) {
        if isInternal { openInternalHandles -= 1 } else { openUserHandles -= 1 }
    }

    /// Registers work to run on the loop thread when shutdown begins, before the grace period:
    /// owners close their listeners and connections here. If shutdown has begun, `hook` runs
    /// now. Returns an id for ``removeShutdownHook(_:)``, for work that may end before the loop
    /// does. Loop thread only.
    @discardableResult
    public func onShutdown(_ hook: @escaping () -> Void) -> ShutdownHookID {
        preconditionInLoop()
        nextShutdownHookID += 1
        let id = ShutdownHookID(value: nextShutdownHookID)
        switch lifecycle {
        case .running: shutdownHooks.append((id, hook))
        case .draining: hook()
        case .finished: break
        }
        return id
    }

    /// Forgets a hook that has not run yet (one that has is already gone). Loop thread only.
    public func removeShutdownHook(_ id: ShutdownHookID) {
        preconditionInLoop()
        shutdownHooks.removeAll { $0.id == id }
    }
}

/// Names a hook registered with ``EventLoop/onShutdown(_:)``. Any thread (a value).
public struct ShutdownHookID: Hashable, Sendable {
    let value: UInt64
}
