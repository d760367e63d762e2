internal import CLibUV

/// Flushes coalesced writes once per loop turn.
///
/// Writes made while the loop handles I/O (and `execute` jobs) are flushed by the check hook,
/// right after the poll phase; writes made by timers and close callbacks are flushed by the
/// prepare hook, right before the loop blocks in poll. Either way each connection issues at
/// most one `uv_write` per turn, however many times it was written to.
final class FlushHooks {
    private let prepare: PrepareHook
    private let check: CheckHook

    init(loop: EventLoop) {
        prepare = PrepareHook(loop: loop)
        check = CheckHook(loop: loop)
    }

    func close() {
        prepare.close()
        check.close()
    }
}

private final class PrepareHook: LoopHandle {
    init(loop: EventLoop) {
        super.init(loop: loop, type: UV_PREPARE, isInternal: true)
        precondition(uv_prepare_init(loop.uvLoop, oaas_as_prepare(rawHandle)) == 0)
        adoptInitialisedHandle()
        uv_prepare_start(oaas_as_prepare(rawHandle)) { handle in
            LoopHandle.owner(of: handle!, as: PrepareHook.self).loop.flushPendingWrites()
        }
        keepsLoopAlive = false
    }
}

private final class CheckHook: LoopHandle {
    init(loop: EventLoop) {
        super.init(loop: loop, type: UV_CHECK, isInternal: true)
        precondition(uv_check_init(loop.uvLoop, oaas_as_check(rawHandle)) == 0)
        adoptInitialisedHandle()
        uv_check_start(oaas_as_check(rawHandle)) { handle in
            LoopHandle.owner(of: handle!, as: CheckHook.self).loop.flushPendingWrites()
        }
        keepsLoopAlive = false
    }
}

extension EventLoop {
    /// Marks a connection as having bytes to send this turn. Loop thread.
    func scheduleFlush(_ connection: TCPConnection) {
        connectionsToFlush.append(connection)
    }

    func flushPendingWrites() {
        guard !connectionsToFlush.isEmpty else { return }
        // Swap with a spare list rather than copy, so a busy loop allocates nothing here.
        var batch = spareFlushList
        swap(&batch, &connectionsToFlush)
        for connection in batch { connection.flushPendingBytes() }
        batch.removeAll(keepingCapacity: true)
        spareFlushList = batch
    }
}
