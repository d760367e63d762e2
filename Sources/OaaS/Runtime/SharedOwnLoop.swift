import OaasLoop

/// The runtime's own loop, shared by the gRPC server and the agents while either runs on it:
/// one loop drives the whole runtime unless the caller hands it loops of its own.
///
/// The first user starts the loop; the last one to leave ends it. Any thread.
final class SharedOwnLoop: Sendable {
    private let state = LockedValue<(loop: EventLoop?, users: Int)>((nil, 0))

    /// The running own loop, started if nobody uses one; counts the caller as a user.
    /// - Throws: `LoopError` if a new loop cannot start.
    func acquire() throws(LoopError) -> EventLoop {
        let outcome: Result<EventLoop, LoopError> = state.withLock { state in
            if let loop = state.loop {
                state.users += 1
                return .success(loop)
            }
            do throws(LoopError) {
                let loop = try EventLoop.startOwned(name: "oaas-runtime")
                state = (loop, 1)
                return .success(loop)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Gives up one use of `loop`. Returns `true` when the caller was its last user: the
    /// caller must then end the loop (it is no longer handed out).
    func release(_ loop: EventLoop) -> Bool {
        state.withLock { state in
            guard state.loop === loop else { return false }
            state.users -= 1
            guard state.users == 0 else { return false }
            state.loop = nil
            return true
        }
    }
}
