import Foundation
import OaasLoop

/// The runtime's own loop, shared by the gRPC server and the agents while either runs on it:
/// one loop drives the whole runtime unless the caller hands it loops of its own.
///
/// The first user starts the loop; the last one to leave ends it, but only once every
/// invocation engine that ran calls on it is idle: a call that outlived its server's or
/// agent's drain is still a task on the loop, and ending the loop under it would crash the
/// process when it resumes. Any thread.
final class SharedOwnLoop: Sendable {
    private struct State {
        var loop: EventLoop?
        var users = 0
        /// Every engine made on the current loop, whether its user is still there or not.
        var engines: [UncheckedTransfer<InvocationEngine>] = []
    }

    private let state = LockedValue(State())

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
                state = State(loop: loop, users: 1)
                return .success(loop)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Records an engine that runs calls on `loop`, so the loop outlives its calls.
    func register(_ engine: InvocationEngine, on loop: EventLoop) {
        state.withLock { state in
            guard state.loop === loop else { return }
            state.engines.append(UncheckedTransfer(engine))
        }
    }

    /// Gives up one use of `loop`. When the caller was its last user, the loop is no longer
    /// handed out and is ended once its engines are idle: now, blocking until its thread has
    /// ended, or (if calls still run) later, by itself. Any thread but the loop's own.
    func release(_ loop: EventLoop) {
        guard let engines = lastRelease(loop) else { return }
        if !engines.contains(where: { $0.value.inFlightCount > 0 }) {
            _ = loop.shutdown(gracePeriod: .seconds(1))
            return
        }
        endWhenIdle(loop, engines)
        Thread.detachNewThread { loop.join() }
    }

    /// ``release(_:)`` for tasks: suspends instead of blocking. Any task, including one on the
    /// loop.
    func release(_ loop: EventLoop) async {
        guard let engines = lastRelease(loop) else { return }
        if !engines.contains(where: { $0.value.inFlightCount > 0 }) {
            loop.stop(gracePeriod: .seconds(1))
            _ = await loop.terminated()
            // The loop has finished; joining only reaps its thread, which is exiting.
            loop.join()
            return
        }
        endWhenIdle(loop, engines)
        Thread.detachNewThread { loop.join() }
    }

    /// ``release(_:)`` without waiting: for a caller whose loop may be blocked or busy. A last
    /// user's loop ends once idle, by itself; a detached thread reaps it. Any thread.
    func releaseInBackground(_ loop: EventLoop) {
        guard let engines = lastRelease(loop) else { return }
        endWhenIdle(loop, engines)
        Thread.detachNewThread { loop.join() }
    }

    /// The loop's engines when the caller was its last user; `nil` otherwise.
    private func lastRelease(_ loop: EventLoop) -> [UncheckedTransfer<InvocationEngine>]? {
        state.withLock { state in
            guard state.loop === loop else { return nil }
            state.users -= 1
            guard state.users == 0 else { return nil }
            let engines = state.engines
            state = State()
            return engines
        }
    }

    /// Stops `loop` once each engine has no call in flight.
    private func endWhenIdle(_ loop: EventLoop, _ engines: [UncheckedTransfer<InvocationEngine>]) {
        let waiting = UncheckedTransfer(engines.map(\.value))
        try? loop.execute {
            Self.afterIdle(waiting.value[...]) { loop.stop(gracePeriod: .seconds(1)) }
        }
    }

    private static func afterIdle(_ engines: ArraySlice<InvocationEngine>, _ body: @escaping () -> Void) {
        guard let first = engines.first else { return body() }
        first.whenIdle { afterIdle(engines.dropFirst(), body) }
    }
}
