import OaasLoop

// Closing: by the caller, or after giving up reconnecting. Loop thread only.
extension NATSClient {
    /// Closes the client: fails pending requests and waiting `ready`s and connects with
    /// `.closed`, stops the timers, cancels a pending name lookup (its answer is never
    /// used), closes the connection, and calls `completion` once every handle of the client
    /// has closed (after an outstanding TCP connect has ended, which takes at most
    /// ``NATSClientConfiguration/connectTimeout``). Every later call fails with
    /// `.closed`. Idempotent: a second call's completion runs when the first's does.
    /// Loop thread only.
    public func close(completion: @escaping () -> Void) {
        loop.preconditionInLoop()
        switch lifecycle {
        case .closed:
            completion()
        case .closing:
            closeCompletions.append(completion)
        case .idle, .connecting, .connected, .reconnecting:
            closeCompletions.append(completion)
            shutDown(failing: BusError(.closed))
        }
    }

    /// Ends the client for good, failing everything that waits with `error`.
    func shutDown(failing error: BusError) {
        var callbacks: [() -> Void] = []
        collectFailures(of: error, into: &callbacks)
        served.removeAll()
        held.removeAll()
        // Closing before any callback runs: whatever a callback calls then fails with .closed.
        let before = publicState
        lifecycle = .closing
        callbacks += dropLink(failing: error)
        for timer in [linkTimer, keepaliveTimer, deadlineTimer].compactMap({ $0 }) {
            closingTimers += 1
            timer.close { [self] in
                closingTimers -= 1
                finishClosingIfDone()
            }
        }
        linkTimer = nil
        keepaliveTimer = nil
        deadlineTimer = nil
        if publicState != before { onStateChange?(publicState) }
        for callback in callbacks { callback() }
        finishClosingIfDone()
    }

    /// Takes every callback waiting on the client (connects, serves not yet ready, pending
    /// requests) and queues its failure with `error`; the caller runs them once its own state
    /// is consistent, since they may call back into the client.
    func collectFailures(of error: BusError, into callbacks: inout [() -> Void]) {
        let connects = connectCompletions
        connectCompletions = []
        for completion in connects { callbacks.append { completion(.failure(error)) } }
        for sid in served.keys.sorted() {
            guard let ready = served[sid]?.ready else { continue }
            served[sid] = nil
            callbacks.append { ready(.failure(error)) }
        }
        let requests = pending.sorted { $0.key < $1.key }.map(\.value)
        pending.removeAll()
        deadlines.removeAll()
        armedDeadline = nil
        deadlineTimer?.cancel()
        held.removeAll()
        for request in requests { callbacks.append { request.fail(error) } }
    }

    /// Once closing and nothing is left open, the client is closed: run the completions.
    func finishClosingIfDone() {
        guard case .closing = lifecycle, retiringConnections == 0, closingTimers == 0, !dialInFlight else { return }
        lifecycle = .closed
        let completions = closeCompletions
        closeCompletions = []
        for completion in completions { completion() }
    }
}
