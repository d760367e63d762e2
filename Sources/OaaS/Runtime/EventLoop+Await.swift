import OaasLoop

extension EventLoop {
    /// Runs `body` on this loop's thread and suspends until it calls its completion (the
    /// first call counts; later ones are ignored). When the loop takes no more work, returns
    /// `failure` instead. How the runtime's async API waits for loop-confined work.
    /// Any thread or task, including one running on this loop.
    func awaitCompletion<T>(orElse failure: T, _ body: @escaping (@escaping (T) -> Void) -> Void) async -> T {
        let work = UncheckedTransfer(body)
        let outcome: UncheckedTransfer<T>? = await withCheckedContinuation { continuation in
            do {
                try execute {
                    var resumed = false
                    work.value { value in
                        guard !resumed else { return }
                        resumed = true
                        continuation.resume(returning: UncheckedTransfer(value))
                    }
                }
            } catch {
                continuation.resume(returning: nil)
            }
        }
        return outcome?.value ?? failure
    }
}
