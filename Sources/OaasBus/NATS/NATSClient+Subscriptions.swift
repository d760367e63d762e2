import OaasLoop

// Serving keys: one queue-group subscription per served key, its requests handed to the
// handler. Loop thread only.
extension NATSClient {
    /// Serves `key`: subscribes to its subject (``BusKey/subject(forKey:)``) in the configured
    /// queue group, so that each request goes to one server of the group.
    ///
    /// - Parameters:
    ///   - handler: receives each request on the loop thread. Its ``BusRequest/replyLimit`` is
    ///     the server's `max_payload`; a larger reply, or one to a request without a reply
    ///     subject, is dropped and counted in ``statistics``.
    ///   - ready: runs once: with the subscription after the server confirmed it (a PONG to a
    ///     PING sent behind the SUB); `.authorizationFailed` if the server refused it;
    ///     `.connectionFailed` when not connected (before ``connect(completion:)``) or the
    ///     first connect failed; `.closed` after ``close(completion:)``. While connecting or
    ///     reconnecting it waits for the connection. The subscription survives reconnects.
    /// Loop thread only.
    public func serve(key: String, handler: @escaping (BusRequest) -> Void,
                      ready: @escaping (Result<BusSubscription, BusError>) -> Void) {
        loop.preconditionInLoop()
        switch lifecycle {
        case .idle:
            return ready(.failure(Self.notConnected))
        case .closing, .closed:
            return ready(.failure(BusError(.closed)))
        case .connecting, .reconnecting, .connected:
            break
        }
        let subject = BusKey.subject(forKey: key)
        if let problem = Self.subjectProblem(subject) { return ready(.failure(problem)) }
        let sid = nextSid
        nextSid += 1
        served[sid] = ServedKey(key: key, subject: subject, isPattern: BusKey.isPattern(key), handler: handler, ready: ready)
        // While (re)connecting, the handshake's resubscription sends it.
        guard case .connected = lifecycle, case .up(let connection, _) = link else { return }
        scratch.removeAll(keepingCapacity: true)
        NATSCommand.subscribe(subject: subject, queueGroup: configuration.queueGroup, sid: sid, into: &scratch)
        NATSCommand.ping(into: &scratch)
        pushPongWaiter(.subscriptions([sid]))
        if let error = send(on: connection) {
            // The subscription stays and is sent again after the reconnect.
            linkLost("cannot subscribe: \(error.message)")
        }
    }

    /// Stops serving: unsubscribes. Requests that arrive before the server has processed the
    /// UNSUB are still delivered (so none is lost), and requests already handed to the handler
    /// can still be answered. Unknown or stopped subscriptions are ignored. Loop thread only.
    public func stopServing(_ subscription: BusSubscription) {
        stopServing(subscription) {}
    }

    /// Stops serving, like ``stopServing(_:)``, and calls `completion` on the loop thread once
    /// no further request will be delivered for the subscription: when the server has
    /// confirmed the UNSUB (a PONG behind it), at once when disconnected (the server forgot
    /// the subscription with the connection) or unknown. Loop thread only.
    public func stopServing(_ subscription: BusSubscription, completion: @escaping () -> Void) {
        loop.preconditionInLoop()
        guard let entry = served[subscription.id], entry.key == subscription.key, !entry.isStopping else {
            return completion()
        }
        guard case .connected = lifecycle, case .up(let connection, _) = link else {
            // Not re-sent after the reconnect, since it is no longer served.
            served[subscription.id] = nil
            return completion()
        }
        served[subscription.id]?.isStopping = true
        scratch.removeAll(keepingCapacity: true)
        NATSCommand.unsubscribe(sid: subscription.id, into: &scratch)
        NATSCommand.ping(into: &scratch)
        pushPongWaiter(.unsubscribed(subscription.id, completion))
        if let error = send(on: connection) {
            linkLost("cannot unsubscribe: \(error.message)")
        }
    }

    /// The PONG behind these subscriptions' SUBs arrived: they are ready.
    func subscriptionsConfirmed(_ sids: [UInt64]) {
        for sid in sids {
            guard let ready = served[sid]?.ready, let key = served[sid]?.key else { continue }
            served[sid]?.ready = nil
            ready(.success(BusSubscription(id: sid, key: key)))
        }
    }

    /// A request for a served key: hands it to the handler with a responder that publishes
    /// the reply to the request's reply subject.
    func deliverRequest(_ message: NATSMessage) {
        // Gone: stopped while the message was on its way.
        guard let entry = served[message.sid] else { return }
        var key = entry.key
        if entry.isPattern {
            guard let concrete = try? BusKey.key(forSubject: message.subject) else {
                return log("dropped a request on \(message.subject): not a subject of the OaaS key rule")
            }
            key = concrete
        }
        let replyTo = message.replyTo
        let request = BusRequest(key: key, payload: message.payload,
                                 replyLimit: serverInfo?.maxPayload ?? .max) { [self] reply in
            sendReply(reply, to: replyTo)
        }
        entry.handler(request)
    }

    private func sendReply(_ reply: [UInt8], to replyTo: String?) {
        loop.preconditionInLoop()
        guard let replyTo else {
            stats.unaddressedReplies += 1
            return log("dropped a reply of \(reply.count) bytes: its request had no reply subject")
        }
        if let limit = serverInfo?.maxPayload, reply.count > limit {
            stats.oversizedReplies += 1
            return log("dropped a reply of \(reply.count) bytes to \(replyTo): the server's max_payload is \(limit)")
        }
        switch publish(subject: replyTo, replyTo: nil, payload: reply, token: nil) {
        case .sent, .held:
            break
        case .failed(let error):
            stats.unsentReplies += 1
            log("dropped a reply to \(replyTo): \(error)")
        }
    }

    /// A `-ERR 'Permissions Violation for ...'`: the server refused one subscription (its
    /// `ready` fails, or for the inbox every request does) or one publish (which cannot be
    /// told apart from others: its request times out).
    func permissionViolation(_ text: String) {
        guard text.hasPrefix("Permissions Violation for Subscription"), let subject = Self.quotedSubject(in: text) else { return }
        let refusal = BusError(.authorizationFailed(text))
        if inboxSid != nil, subject == inbox.wildcard {
            inboxRefusal = refusal
            failAllRequests(refusal)
            return
        }
        let refused = served.filter { $0.value.subject == subject && $0.value.ready != nil }.keys.sorted()
        var callbacks: [(Result<BusSubscription, BusError>) -> Void] = []
        for sid in refused {
            if let ready = served.removeValue(forKey: sid)?.ready { callbacks.append(ready) }
        }
        for ready in callbacks { ready(.failure(refusal)) }
    }

    /// The first double-quoted part of a server error: the subject it is about.
    static func quotedSubject(in text: String) -> String? {
        guard let open = text.firstIndex(of: "\"") else { return nil }
        let rest = text[text.index(after: open)...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<close])
    }
}
