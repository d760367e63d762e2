import OaasLoop

extension EventLoop {
    /// Runs `body` on this loop's thread and suspends until it calls its completion (the
    /// first call counts; later ones are ignored). Returns `failure` instead when the loop
    /// takes no more work, or when it finishes shutting down before `body` completes (a
    /// timer or connection that would have completed it was closed with the loop). How the
    /// runtime's async API waits for loop-confined work.
    /// Any thread or task, including one running on this loop.
    func awaitCompletion<T>(orElse failure: T, _ body: @escaping (@escaping (T) -> Void) -> Void) async -> T {
        let work = UncheckedTransfer(body)
        let outcome: UncheckedTransfer<T>? = await withCheckedContinuation { continuation in
            do {
                try execute {
                    // Completion and the loop's end both come on the loop thread: no lock.
                    let waiter = CompletionWaiter(loop: self, continuation: continuation)
                    self.addFinishObserver(waiter)
                    work.value { value in waiter.resume(UncheckedTransfer(value)) }
                }
            } catch {
                continuation.resume(returning: nil)
            }
        }
        return outcome?.value ?? failure
    }
}

/// One `awaitCompletion`: resumed by the work's completion or, failing that, by the loop's
/// end, whichever comes first. Loop-confined.
private final class CompletionWaiter<T>: LoopFinishObserver {
    private let loop: EventLoop
    private var continuation: CheckedContinuation<UncheckedTransfer<T>?, Never>?

    init(loop: EventLoop, continuation: CheckedContinuation<UncheckedTransfer<T>?, Never>) {
        self.loop = loop
        self.continuation = continuation
    }

    func resume(_ value: UncheckedTransfer<T>) {
        guard let continuation else { return }
        self.continuation = nil
        loop.removeFinishObserver(self)
        continuation.resume(returning: value)
    }

    func loopDidFinish() {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(returning: nil)
    }
}
