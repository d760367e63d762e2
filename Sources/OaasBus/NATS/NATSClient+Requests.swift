import OaasLoop

// Requests: a publish with a reply subject on the client's one wildcard inbox, a table of
// pending requests by token, and one timer for all their timeouts. Loop thread only.
extension NATSClient {
    /// Sends `payload` to one server of `key` and calls `completion` with its reply.
    ///
    /// - Parameters:
    ///   - timeout: from now; then `completion` gets `.timedOut(timeout)`. Requests made while
    ///     reconnecting are held and sent after the reconnect, and keep this timeout.
    ///   - completion: runs once on the loop thread with the reply's payload, or:
    ///     `.noResponders` as soon as the server says nobody serves the key;
    ///     `.payloadTooLarge` at once (nothing sent) for a payload over the server's
    ///     `max_payload`; `.connectionFailed` before ``connect(completion:)``, or at once when
    ///     disconnected with the reconnect buffer full; `.authorizationFailed` if the server
    ///     refused the inbox subscription; `.closed` after ``close(completion:)``.
    /// Loop thread only.
    public func request(key: String, payload: [UInt8], timeout: Duration,
                        completion: @escaping (Result<[UInt8], BusError>) -> Void) {
        loop.preconditionInLoop()
        if let refusal = requestRefusal { return completion(.failure(refusal)) }
        if let limit = serverInfo?.maxPayload, payload.count > limit {
            return completion(.failure(BusError(.payloadTooLarge(size: payload.count, limit: limit))))
        }
        let subject = BusKey.subject(forKey: key)
        if let problem = Self.subjectProblem(subject) { return completion(.failure(problem)) }
        subscribeInboxIfNeeded()
        let token = nextToken
        nextToken += 1
        switch publish(subject: subject, replyTo: inbox.replySubject(token: token),
                       payload: payload, token: token) {
        case .sent, .held:
            break
        case .failed(let error):
            return completion(.failure(error))
        }
        awaitReply(token: token, PendingRequest(handler: .payload(completion), timeout: timeout))
    }

    /// Files a sent (or held) request under its token and arms its timeout.
    func awaitReply(token: UInt64, _ request: PendingRequest) {
        pending[token] = request
        let (sum, overflow) = loop.nowMilliseconds.addingReportingOverflow(request.timeout.wholeMillisecondsRoundedUp)
        let deadline = overflow ? UInt64.max : sum
        deadlines.insert(deadline: deadline, token: token)
        armDeadlineTimer(for: deadline)
    }

    /// Why no request can be sent now (not connected yet, closing or closed, the inbox
    /// refused), or `nil`. Requests made while connecting or reconnecting are held.
    var requestRefusal: BusError? {
        switch lifecycle {
        case .idle: return Self.notConnected
        case .closing, .closed: return BusError(.closed)
        case .connecting, .reconnecting, .connected: return inboxRefusal
        }
    }

    /// The inbox is subscribed once, at the first request, and again after each reconnect.
    func subscribeInboxIfNeeded() {
        guard inboxSid == nil else { return }
        let sid = nextSid
        nextSid += 1
        inboxSid = sid
        guard case .connected = lifecycle, case .up(let connection, _) = link else { return }
        scratch.removeAll(keepingCapacity: true)
        NATSCommand.subscribe(subject: inbox.wildcard, queueGroup: nil, sid: sid, into: &scratch)
        if let error = send(on: connection) {
            linkLost("cannot subscribe the inbox: \(error.message)")
        }
    }

    /// A MSG or HMSG: a reply on the inbox, or a request for a served key.
    func didReceiveMessage(_ message: NATSMessage) {
        stats.messagesIn += 1
        stats.bytesIn += message.payload.count
        if message.sid == inboxSid {
            didReceiveReply(message)
        } else {
            deliverRequest(message)
        }
    }

    private func didReceiveReply(_ message: NATSMessage) {
        guard let token = inbox.token(fromSubject: message.subject),
              let request = pending.removeValue(forKey: token) else {
            stats.droppedReplies += 1
            return log("dropped a reply on \(message.subject): no pending request has its token")
        }
        compactDeadlinesIfSparse()
        switch request.handler {
        case .payload(let completion):
            switch message.status {
            case nil:
                completion(.success(message.payload))
            case 503?:
                completion(.failure(BusError(.noResponders)))
            case let status?:
                let description = message.statusDescription.map { " \($0)" } ?? ""
                completion(.failure(BusError(.protocolError("the reply carried status \(status)\(description)"))))
            }
        case .reply(let completion):
            // Only "no responders" is the bus's verdict; other statuses are the responder's
            // answer (JetStream's 404 for an absent message, 408 for a bad request, ...).
            if message.isNoResponders { return completion(.failure(BusError(.noResponders))) }
            completion(.success(NATSReply(status: message.status, statusDescription: message.statusDescription,
                                          headers: message.headers, payload: message.payload)))
        }
    }

    // MARK: Timeouts

    /// Sets the one deadline timer for `deadline` unless it is already set for an earlier one.
    private func armDeadlineTimer(for deadline: UInt64) {
        if let armedDeadline, armedDeadline <= deadline { return }
        switch lifecycle {
        case .connecting, .reconnecting, .connected: break
        case .idle, .closing, .closed: return
        }
        let timer: LoopTimer
        if let deadlineTimer {
            timer = deadlineTimer
        } else {
            timer = makeTimer()
            deadlineTimer = timer
        }
        armedDeadline = deadline
        let now = loop.nowMilliseconds
        timer.start(after: .milliseconds(Int64(clamping: deadline > now ? deadline - now : 0))) { [self] in deadlinesDue() }
    }

    private func deadlinesDue() {
        armedDeadline = nil
        let now = loop.nowMilliseconds
        var timedOut = false
        while let entry = deadlines.popDue(now: now) {
            // Answered requests leave their entries behind: skip them.
            guard let request = pending.removeValue(forKey: entry.token) else { continue }
            timedOut = true
            request.fail(BusError(.timedOut(request.timeout)))
        }
        // Requests that timed out while held for a reconnect free their room in the buffer.
        if timedOut, !held.isEmpty { held.keepLiveRequests { pending[$0] != nil } }
        if let earliest = deadlines.earliest { armDeadlineTimer(for: earliest) }
    }

    /// Drops the entries of answered requests once they outnumber the pending ones, so a
    /// stream of quick replies with long timeouts does not grow the queue.
    private func compactDeadlinesIfSparse() {
        guard deadlines.count > 1024, deadlines.count > 4 * pending.count else { return }
        deadlines.compact { pending[$0] != nil }
    }

    /// Fails every pending request with `error` (their timeouts are dropped with them).
    func failAllRequests(_ error: BusError) {
        let failing = pending.sorted { $0.key < $1.key }.map(\.value)
        pending.removeAll()
        deadlines.removeAll()
        armedDeadline = nil
        deadlineTimer?.cancel()
        for request in failing { request.fail(error) }
    }
}

extension NATSClient {
    /// The longest subject we send. nats-server refuses control lines over 4096 bytes (its
    /// default `max_control_line`) by closing the connection, which would cut every other
    /// request and subscription of this client; this leaves room for the rest of a PUB or SUB
    /// line (reply inbox, queue group, sizes).
    static let maxSubjectBytes = 3584

    /// Why `subject` cannot be sent, if it cannot.
    static func subjectProblem(_ subject: String) -> BusError? {
        let length = subject.utf8.count
        guard length > maxSubjectBytes else { return nil }
        return BusError(.invalidKey("its NATS subject is \(length) bytes, over the \(maxSubjectBytes) this client sends (NATS servers close connections whose command lines pass 4096 bytes)"))
    }
}
