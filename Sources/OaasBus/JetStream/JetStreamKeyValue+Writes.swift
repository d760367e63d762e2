import OaasLoop

// Writing one key: a publish to its subject, conditional on its revision, acknowledged by
// the stream with the new revision. Loop thread only.
extension JetStreamKeyValue {
    /// Writes `value` to `key` if the key is at `expectedRevision`.
    ///
    /// A publish to `$KV.<bucket>.<key>` with `Nats-Expected-Last-Subject-Sequence:
    /// <expectedRevision>`; the stream stores it only if the key's last message has that
    /// sequence (0: the key has never been written; a deleted key has its marker's revision).
    ///
    /// - Parameters:
    ///   - headers: stored with the value and returned by ``get(_:completion:)``; names
    ///     starting with `Nats-` and `KV-Operation` are the bucket's and are refused.
    ///   - completion: runs once on the loop thread with the new revision. Failures:
    ///     `.wrongLastSequence(actual:)` when another write got there first (nothing written);
    ///     `.payloadTooLarge` at once (nothing sent) when header block plus value exceed the
    ///     stream's `max_msg_size` or the server's `max_payload`; `.invalidKey` and
    ///     `.invalidHeader` at once; `.unavailable` when the bucket is not open or JetStream
    ///     cannot be reached; `.timedOut` (the write may or may not have happened: read the
    ///     key to know).
    /// Loop thread only.
    public func update(_ key: String, value: [UInt8], headers: [NATSHeader] = [], expectedRevision: UInt64,
                       completion: @escaping (Result<UInt64, KVError>) -> Void) {
        loop.preconditionInLoop()
        for field in headers {
            if let problem = Self.headerProblem(field) { return completion(.failure(KVError(.invalidHeader(problem)))) }
        }
        var fields = headers
        fields.append(NATSHeader(name: Self.expectedSequenceHeader, value: String(expectedRevision)))
        write(key, value: value, fields: fields, completion: completion)
    }

    /// Deletes `key`: writes a `KV-Operation: DEL` marker, which ``get(_:completion:)``
    /// returns as an entry with operation ``KVOperation/delete`` and the marker's revision
    /// (a later ``update(_:value:headers:expectedRevision:completion:)`` expects that one).
    ///
    /// - Parameters:
    ///   - expectedRevision: when set, delete only if the key is at this revision; nil
    ///     deletes whatever it holds (deleting an absent key writes a marker too).
    ///   - completion: runs once on the loop thread with the marker's revision, or fails as
    ///     ``update(_:value:headers:expectedRevision:completion:)`` does.
    /// Loop thread only.
    public func delete(_ key: String, expectedRevision: UInt64?, completion: @escaping (Result<UInt64, KVError>) -> Void) {
        loop.preconditionInLoop()
        var fields = [NATSHeader(name: "KV-Operation", value: "DEL")]
        if let expectedRevision {
            fields.append(NATSHeader(name: Self.expectedSequenceHeader, value: String(expectedRevision)))
        }
        write(key, value: [], fields: fields, completion: completion)
    }

    static let expectedSequenceHeader = "Nats-Expected-Last-Subject-Sequence"

    private func write(_ key: String, value: [UInt8], fields: [NATSHeader], completion: @escaping (Result<UInt64, KVError>) -> Void) {
        let binding: Binding
        switch self.binding {
        case .success(let bound): binding = bound
        case .failure(let error): return completion(.failure(error))
        }
        guard KVKeyRules.isValidKey(key) else { return completion(.failure(KVError(.invalidKey(KVKeyRules.problem(with: key))))) }
        // The stream counts header block and value against max_msg_size; refusing here saves
        // the round trip and says what the limit is.
        let size = NATSCommand.headerBlockSize(fields) + value.count
        if let limit = binding.maxMessageSize, size > limit {
            return completion(.failure(KVError(.payloadTooLarge(size: size, limit: limit))))
        }
        let subject = subjectPrefix + key
        client.request(subject: subject, headers: fields, payload: value, timeout: options.timeout) { [streamName] result in
            completion(Self.revision(from: result, subject: subject, stream: streamName, size: size, limit: binding.maxMessageSize))
        }
    }

    /// The new revision a write's reply carries, or why there is none.
    /// - Parameters:
    ///   - stream: the bucket's stream, which the ack must name.
    ///   - size, limit: the message's size and the stream's `max_msg_size`, for the error when
    ///     the server refuses the size (its limit changed since the bucket opened).
    static func revision(from result: Result<NATSReply, BusError>, subject: String, stream: String,
                         size: Int, limit: Int?) -> Result<UInt64, KVError> {
        let reply: NATSReply
        switch result {
        case .success(let answered): reply = answered
        case .failure(let error): return .failure(KVError(error, subject: subject))
        }
        if let status = reply.status {
            return .failure(KVError(.api(code: status, errorCode: 0, description: reply.statusDescription ?? "status \(status)")))
        }
        do {
            switch try JetStreamPublishAck.parse(reply.payload) {
            case .stored(let ackStream, let sequence):
                guard ackStream == stream else {
                    return .failure(KVError(.malformedReply("the write of \(subject) was stored by stream \(ackStream), not \(stream)")))
                }
                return .success(sequence)
            case .refused(let error):
                if error.errorCode == JetStreamAPIError.Number.messageTooLarge, let limit {
                    return .failure(KVError(.payloadTooLarge(size: size, limit: limit)))
                }
                return .failure(error.kvError)
            }
        } catch {
            return .failure(error)
        }
    }

    /// Why a writer's header field cannot be stored, if it cannot.
    static func headerProblem(_ field: NATSHeader) -> String? {
        if KVDirectGetReply.isReserved(field.name) {
            return "\(String(reflecting: field.name)) is set by the bucket or JetStream (Nats-* and KV-Operation are reserved)"
        }
        if !NATSCommand.isValidHeader(field) {
            return "\(String(reflecting: field.name)) cannot be sent: names need visible characters without a colon, values no CR or LF"
        }
        return nil
    }
}
