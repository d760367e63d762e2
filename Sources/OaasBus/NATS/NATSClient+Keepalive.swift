import OaasLoop

// PINGs and PONGs: the server answers PINGs in order, so one FIFO of waiters serves the
// handshake, subscription confirmations, flushes and keepalive alike. Loop thread only.
extension NATSClient {
    /// Calls `completion` once the server has processed everything sent before it (a PING
    /// round trip): after it, a subscription or unsubscription made earlier is in force.
    ///
    /// - Parameter completion: runs once on the loop thread: success; `.connectionFailed` when
    ///   not connected or when the connection is lost first; `.closed` after
    ///   ``close(completion:)``.
    /// Loop thread only.
    public func flush(completion: @escaping (Result<Void, BusError>) -> Void) {
        loop.preconditionInLoop()
        switch lifecycle {
        case .idle:
            return completion(.failure(Self.notConnected))
        case .connecting, .reconnecting:
            return completion(.failure(BusError(.connectionFailed("not connected (\(publicState))"))))
        case .closing, .closed:
            return completion(.failure(BusError(.closed)))
        case .connected:
            break
        }
        guard case .up(let connection, _) = link else {
            return completion(.failure(BusError(.connectionFailed("not connected"))))
        }
        scratch.removeAll(keepingCapacity: true)
        NATSCommand.ping(into: &scratch)
        pushPongWaiter(.flush(completion))
        if let error = send(on: connection) {
            linkLost("cannot send PING: \(error.message)")
        }
    }

    func pushPongWaiter(_ waiter: PongWaiter) {
        pongWaiters.append(waiter)
    }

    private func popPongWaiter() -> PongWaiter? {
        guard pongWaiterHead < pongWaiters.count else { return nil }
        let waiter = pongWaiters[pongWaiterHead]
        pongWaiters[pongWaiterHead] = .keepalive  // releases a completion the slot held
        pongWaiterHead += 1
        if pongWaiterHead == pongWaiters.count {
            pongWaiters.removeAll(keepingCapacity: true)
            pongWaiterHead = 0
        } else if pongWaiterHead >= 64, pongWaiterHead * 2 >= pongWaiters.count {
            pongWaiters.removeFirst(pongWaiterHead)
            pongWaiterHead = 0
        }
        return waiter
    }

    /// A PONG: the oldest PING in flight is answered, and the connection is alive.
    func didReceivePong() {
        pingsOutstanding = 0
        guard let waiter = popPongWaiter() else { return }
        switch waiter {
        case .handshake:
            handshakeCompleted()
        case .keepalive:
            break
        case .subscriptions(let sids):
            subscriptionsConfirmed(sids)
        case .flush(let completion):
            completion(.success(()))
        case .unsubscribed(let sid, let completion):
            served[sid] = nil
            completion()
        }
    }

    /// The connection is gone: no PONG will come. Flushes fail (their completions are
    /// returned, for the caller to run once its state is consistent); subscriptions waiting
    /// for confirmation stay and are confirmed after the reconnect.
    func takePongWaiters(failing error: BusError) -> [() -> Void] {
        var callbacks: [() -> Void] = []
        for waiter in pongWaiters[pongWaiterHead...] {
            switch waiter {
            case .flush(let completion):
                callbacks.append { completion(.failure(error)) }
            case .unsubscribed(let sid, let completion):
                // The server forgot the subscription with the connection.
                served[sid] = nil
                callbacks.append(completion)
            case .handshake, .keepalive, .subscriptions:
                break
            }
        }
        pongWaiters.removeAll(keepingCapacity: true)
        pongWaiterHead = 0
        return callbacks
    }

    /// Pings every ``NATSClientConfiguration/pingInterval`` while connected.
    func startKeepalive() {
        let timer: LoopTimer
        if let keepaliveTimer {
            timer = keepaliveTimer
        } else {
            timer = makeTimer()
            keepaliveTimer = timer
        }
        pingsOutstanding = 0
        timer.start(after: configuration.pingInterval, repeating: configuration.pingInterval) { [self] in
            keepaliveTick()
        }
    }

    private func keepaliveTick() {
        guard case .up(let connection, _) = link else { return }
        if pingsOutstanding >= configuration.maxPingsOutstanding {
            return linkLost("stale connection: \(pingsOutstanding) pings unanswered")
        }
        pingsOutstanding += 1
        scratch.removeAll(keepingCapacity: true)
        NATSCommand.ping(into: &scratch)
        pushPongWaiter(.keepalive)
        if let error = send(on: connection) {
            linkLost("cannot send PING: \(error.message)")
        }
    }
}
