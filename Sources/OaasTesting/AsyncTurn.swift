import OaasLoop

/// A first-come, first-served turn for tasks: `wait()` suspends until the turn is free, then
/// holds it until `pass()`. For tests that must not overlap (they share something
/// process-wide, like libuv's thread pool). Any thread.
public final class AsyncTurn: Sendable {
    private struct State {
        var taken = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = LockedValue(State())

    public init() {}

    /// Returns once the caller holds the turn.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let takenNow = state.withLock { state -> Bool in
                guard state.taken else {
                    state.taken = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if takenNow { continuation.resume() }
        }
    }

    /// Hands the turn to the longest waiter, or frees it. Call once per `wait()`.
    public func pass() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.taken = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
