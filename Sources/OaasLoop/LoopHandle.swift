internal import CLibUV

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// The Swift owner of one libuv handle.
///
/// Ownership rule: once the C handle is initialised, C holds a +1 on its owner (through the
/// handle's `data` field) until libuv's close callback runs. A handle therefore lives until it
/// is closed, even when no Swift code refers to it any more, and the C memory is freed exactly
/// once, in the close callback. `close()` is idempotent.
///
/// Loop-confined: create, use and close a handle only on its loop's thread. Handles are not
/// `Sendable`, so the compiler keeps them from escaping to other threads.
open class LoopHandle {
    /// The loop this handle belongs to.
    public let loop: EventLoop
    /// Raw storage for the C handle, sized by `uv_handle_size` for its type.
    let rawHandle: UnsafeMutableRawPointer
    /// Runtime-owned handles (the loop's door, its flush hooks) are not counted as leaks.
    let isInternal: Bool

    @exclusivity(unchecked) private var closeRequested = false
    @exclusivity(unchecked) private var closeCompletions: [() -> Void] = []
    @exclusivity(unchecked) private var adopted = false

    /// True once `close()` has been called; the handle may still be waiting for its callback.
    public var isClosing: Bool { closeRequested }
    /// True once libuv's close callback has run and the C memory is gone.
    @exclusivity(unchecked) public private(set) var isClosed = false

    init(loop: EventLoop, type: uv_handle_type, isInternal: Bool = false) {
        loop.preconditionInLoop()
        self.loop = loop
        self.isInternal = isInternal
        self.rawHandle = UnsafeMutableRawPointer.allocate(
            byteCount: uv_handle_size(type), alignment: MemoryLayout<UInt64>.alignment)
    }

    /// Called by subclasses right after `uv_*_init` succeeded: from here on C owns a +1.
    final func adoptInitialisedHandle() {
        precondition(!adopted, "handle adopted twice")
        adopted = true
        oaas_set_handle_data(rawHandle, Unmanaged.passRetained(self).toOpaque())
        loop.handleOpened(isInternal: isInternal)
    }

    /// Called by subclasses whose `uv_*_init` failed: nothing was registered with libuv.
    final func discardUninitialisedHandle() {
        precondition(!adopted, "an adopted handle must be closed, not discarded")
        rawHandle.deallocate()
        closeRequested = true
        isClosed = true
    }

    var uvHandle: UnsafeMutablePointer<uv_handle_t> { oaas_as_handle(rawHandle) }

    /// Closes the handle. Idempotent: later calls only add their completion.
    ///
    /// - Parameter completion: runs on the loop thread once libuv has released the handle
    ///   (immediately if that already happened).
    /// Loop thread only.
    public final func close(completion: (() -> Void)? = nil) {
        loop.preconditionInLoop()
        if isClosed {
            completion?()
            return
        }
        if let completion { closeCompletions.append(completion) }
        beginClose(resettingTCP: false)
    }

    /// Starts closing once. With `resettingTCP`, a TCP handle is closed with an RST instead of
    /// a FIN (libuv falls back to a plain close where that is not possible).
    final func beginClose(resettingTCP: Bool) {
        guard !closeRequested else { return }
        closeRequested = true
        willClose()
        let callback: uv_close_cb = { handle in
            let owner = Unmanaged<LoopHandle>.fromOpaque(oaas_handle_data(handle!)!).takeRetainedValue()
            owner.finishClose()
        }
        if resettingTCP, uv_tcp_close_reset(oaas_as_tcp(rawHandle), callback) == 0 { return }
        uv_close(uvHandle, callback)
    }

    private func finishClose() {
        isClosed = true
        rawHandle.deallocate()
        loop.handleClosed(isInternal: isInternal)
        didClose()
        let completions = closeCompletions
        closeCompletions = []
        for completion in completions { completion() }
    }

    /// Runs `body` on the loop thread when the handle has closed, by whoever closed it.
    /// Loop thread only.
    public final func whenClosed(_ body: @escaping () -> Void) {
        loop.preconditionInLoop()
        if isClosed { body() } else { closeCompletions.append(body) }
    }

    /// Subclass hook, run once when closing begins (before `uv_close`): stop timers, fail
    /// pending work. Loop thread.
    func willClose() {}

    /// Subclass hook, run once after the C memory is freed: drop callbacks to break cycles.
    /// Loop thread.
    func didClose() {}

    /// Whether this handle keeps the loop running (libuv's ref count). Loop thread only.
    public final var keepsLoopAlive: Bool {
        get { loop.preconditionInLoop(); return !isClosed && uv_has_ref(uvHandle) != 0 }
        set {
            loop.preconditionInLoop()
            guard !isClosed else { return }
            if newValue { uv_ref(uvHandle) } else { uv_unref(uvHandle) }
        }
    }

    /// The owner of a live C handle, for callbacks that receive the C pointer.
    @inline(__always)
    static func owner<T: LoopHandle>(of handle: UnsafeRawPointer, as type: T.Type) -> T {
        Unmanaged<T>.fromOpaque(oaas_handle_data(handle)!).takeUnretainedValue()
    }
}
