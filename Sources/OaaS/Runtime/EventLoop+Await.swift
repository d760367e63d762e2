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
            let waiter = ResumeOnce(continuation)
            guard let hook = whenFinished({ waiter.resume(nil) }) else {
                waiter.resume(nil)
                return
            }
            do {
                try execute {
                    work.value { value in
                        if waiter.resume(UncheckedTransfer(value)) { self.cancelWhenFinished(hook) }
                    }
                }
            } catch {
                if waiter.resume(nil) { cancelWhenFinished(hook) }
            }
        }
        return outcome?.value ?? failure
    }
}

/// A continuation that the first of several racing outcomes resumes (completion, the loop
/// finishing); the rest find it taken. Any thread.
private final class ResumeOnce<T>: Sendable {
    private let continuation: LockedValue<CheckedContinuation<UncheckedTransfer<T>?, Never>?>

    init(_ continuation: CheckedContinuation<UncheckedTransfer<T>?, Never>) {
        self.continuation = LockedValue(continuation)
    }

    /// Resumes with `value` if nothing has yet; returns whether this call did.
    @discardableResult
    func resume(_ value: UncheckedTransfer<T>?) -> Bool {
        let taken = continuation.withLock { slot in
            defer { slot = nil }
            return slot
        }
        taken?.resume(returning: value)
        return taken != nil
    }
}
