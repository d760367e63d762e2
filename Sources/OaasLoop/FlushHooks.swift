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

/// Something that produces its output at the end of a loop turn (e.g. a protocol session that
/// serializes all the frames queued during the turn at once), just before connections flush.
///
/// Loop-confined.
public protocol LoopTurnObserver: AnyObject {
    /// Called once after `requestTurnEnd(_:)`, on the loop thread, before this turn's writes.
    func loopTurnWillEnd()
}

extension EventLoop {
    /// Asks for `observer.loopTurnWillEnd()` at the end of this loop turn, before the turn's
    /// writes go out. Call it once per turn (keep a flag); each call adds one callback.
    /// Loop thread only.
    public func requestTurnEnd(_ observer: any LoopTurnObserver) {
        preconditionInLoop()
        turnObservers.append(observer)
    }

    /// Marks a connection as having bytes to send this turn. Loop thread.
    func scheduleFlush(_ connection: TCPConnection) {
        connectionsToFlush.append(connection)
    }

    func flushPendingWrites() {
        if !turnObservers.isEmpty {
            var observers = spareObserverList
            swap(&observers, &turnObservers)
            for observer in observers { observer.loopTurnWillEnd() }
            observers.removeAll(keepingCapacity: true)
            spareObserverList = observers
        }
        guard !connectionsToFlush.isEmpty else { return }
        // Swap with a spare list rather than copy, so a busy loop allocates nothing here.
        var batch = spareFlushList
        swap(&batch, &connectionsToFlush)
        for connection in batch { connection.flushPendingBytes() }
        batch.removeAll(keepingCapacity: true)
        spareFlushList = batch
    }
}
