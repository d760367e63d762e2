import OaasLoop

// Raw requests: any subject, optional headers, the whole reply back. What protocols built on
// NATS request/reply (JetStream's API, its publish acks, its direct gets) need. Loop thread only.
extension NATSClient {
    /// Publishes `payload` (with `headers`, if any) to `subject` and calls `completion` with
    /// the reply: its status line, header fields and payload.
    ///
    /// Uses the same machinery as ``request(key:payload:timeout:completion:)``: the reply
    /// comes back on the client's inbox, the timeout runs from now, and requests made while
    /// reconnecting are held and sent after the reconnect (one that times out while held is
    /// never sent).
    ///
    /// - Parameters:
    ///   - subject: a NATS subject: not empty, no blanks or control bytes, at most
    ///     3584 bytes (what nats-server's control line leaves for it).
    ///   - headers: sent with `HPUB` when not empty; names must be visible ASCII without a
    ///     colon, values must not contain CR or LF.
    ///   - completion: runs once on the loop thread with the reply. A status reply is a reply
    ///     (JetStream answers `404 Message Not Found`, for instance), except a server's "no
    ///     responders" (503 without payload), which is `.noResponders`. Failures, without
    ///     sending anything: `.invalidKey` for a subject or header that cannot be written;
    ///     `.payloadTooLarge` for header block plus payload over the server's `max_payload`;
    ///     otherwise as ``request(key:payload:timeout:completion:)`` (`.timedOut`,
    ///     `.connectionFailed`, `.authorizationFailed`, `.closed`).
    /// Loop thread only.
    public func request(subject: String, headers: [NATSHeader] = [], payload: [UInt8], timeout: Duration,
                        completion: @escaping (Result<NATSReply, BusError>) -> Void) {
        loop.preconditionInLoop()
        if let refusal = requestRefusal { return completion(.failure(refusal)) }
        if let problem = Self.rawRequestProblem(subject: subject, headers: headers) { return completion(.failure(problem)) }
        // The server counts the header block towards max_payload; HPUB sends it even when empty
        // of fields, so only a request without headers goes out as a plain PUB.
        let size = (headers.isEmpty ? 0 : NATSCommand.headerBlockSize(headers)) + payload.count
        if let limit = serverInfo?.maxPayload, size > limit {
            return completion(.failure(BusError(.payloadTooLarge(size: size, limit: limit))))
        }
        subscribeInboxIfNeeded()
        let token = nextToken
        nextToken += 1
        let replyTo = inbox.replySubject(token: token)
        let outcome = headers.isEmpty
            ? publish(subject: subject, replyTo: replyTo, payload: payload, token: token)
            : publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload, token: token)
        switch outcome {
        case .sent, .held:
            break
        case .failed(let error):
            return completion(.failure(error))
        }
        awaitReply(token: token, PendingRequest(handler: .reply(completion), timeout: timeout))
    }

    /// Why a raw request cannot be written, if it cannot: a subject or header field that would
    /// split the command (and let it smuggle in another), or a subject too long to send.
    static func rawRequestProblem(subject: String, headers: [NATSHeader]) -> BusError? {
        guard NATSCommand.isValidSubject(subject) else {
            return BusError(.invalidKey("the subject \(String(reflecting: subject)) is empty or holds blanks or control characters"))
        }
        if let problem = subjectProblem(subject) { return problem }
        for field in headers where !NATSCommand.isValidHeader(field) {
            return BusError(.invalidKey("the header \(String(reflecting: field.name)) cannot be sent: names need visible characters without a colon, values no CR or LF"))
        }
        return nil
    }
}
