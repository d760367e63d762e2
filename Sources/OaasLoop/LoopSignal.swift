internal import CLibUV

/// Delivers a process signal (SIGINT, SIGTERM, ...) as an event on the loop thread.
///
/// While the watcher is open, libuv owns the signal's disposition, so the default action (for
/// SIGINT/SIGTERM: terminate) does not happen. By default the watcher does not keep the loop
/// alive on its own.
///
/// Loop-confined: every member is for the loop thread only.
public final class LoopSignal: LoopHandle {
    /// The signal number watched.
    public let signalNumber: Int32
    private var onSignal: ((Int32) -> Void)?

    /// Starts watching `signalNumber`.
    ///
    /// - Parameters:
    ///   - keepsLoopAlive: whether this watcher alone keeps the loop running.
    ///   - handler: runs on the loop thread each time the signal arrives.
    /// - Throws: `LoopError` for a signal number libuv rejects (e.g. `.invalidArgument`).
    /// Loop thread only.
    public init(loop: EventLoop, signal signalNumber: Int32, keepsLoopAlive: Bool = false,
                handler: @escaping (Int32) -> Void) throws(LoopError) {
        self.signalNumber = signalNumber
        super.init(loop: loop, type: UV_SIGNAL)
        precondition(uv_signal_init(loop.uvLoop, oaas_as_signal(rawHandle)) == 0, "uv_signal_init cannot fail")
        adoptInitialisedHandle()
        onSignal = handler
        let status = uv_signal_start(oaas_as_signal(rawHandle), { signal, number in
            LoopHandle.owner(of: signal!, as: LoopSignal.self).onSignal?(number)
        }, signalNumber)
        if status < 0 {
            close()
            throw LoopError(uv: status, operation: "watch signal \(signalNumber)")
        }
        self.keepsLoopAlive = keepsLoopAlive
    }

    override func willClose() {
        uv_signal_stop(oaas_as_signal(rawHandle))
        onSignal = nil
    }
}
