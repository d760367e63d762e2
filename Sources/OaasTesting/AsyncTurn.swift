import Foundation

/// A first-come, first-served turn for tasks: `wait()` suspends until the turn is free, then
/// holds it until `pass()`. For tests that must not overlap (they share something
/// process-wide, like libuv's thread pool). Any thread.
public final class AsyncTurn: @unchecked Sendable {
    // @unchecked: `taken` and `waiting` are only touched under `lock`.
    private let lock = NSLock()
    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Returns once the caller holds the turn.
    public func wait() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if taken {
                waiting.append(continuation)
                lock.unlock()
            } else {
                taken = true
                lock.unlock()
                continuation.resume()
            }
        }
    }

    /// Hands the turn to the longest waiter, or frees it. Call once per `wait()`.
    public func pass() {
        lock.lock()
        guard !waiting.isEmpty else {
            taken = false
            lock.unlock()
            return
        }
        let next = waiting.removeFirst()
        lock.unlock()
        next.resume()
    }
}
