import OaasLoop

// Writing: every command is encoded into `scratch` and handed to the connection in one write
// (the connection coalesces the writes of a loop turn into one system call). Loop thread only.
extension NATSClient {
    /// Writes `scratch` to `connection`.
    /// - Returns: the error if the connection refused the bytes.
    func send(on connection: TCPConnection) -> LoopError? {
        do {
            try connection.write(scratch)
            return nil
        } catch {
            return error
        }
    }

    /// Publishes `payload` to `subject`: at once when connected, held for the reconnect when
    /// connecting or reconnecting.
    /// - Parameter token: the request the publish belongs to, `nil` for a reply.
    func publish(subject: String, replyTo: String?, payload: [UInt8], token: UInt64?) -> PublishOutcome {
        scratch.removeAll(keepingCapacity: true)
        payload.withUnsafeBytes { bytes in
            NATSCommand.publish(subject: subject, replyTo: replyTo, payload: bytes, into: &scratch)
        }
        return sendScratch(payloadSize: payload.count, token: token)
    }

    /// Publishes `payload` with a header block (`HPUB`), like
    /// ``publish(subject:replyTo:payload:token:)``. The header block counts towards the
    /// server's `max_payload` as the payload does, so it is counted as payload here.
    func publish(subject: String, replyTo: String?, headers: [NATSHeader], payload: [UInt8], token: UInt64?) -> PublishOutcome {
        scratch.removeAll(keepingCapacity: true)
        let headerBytes = payload.withUnsafeBytes { bytes in
            NATSCommand.publish(subject: subject, replyTo: replyTo, headers: headers, payload: bytes, into: &scratch)
        }
        return sendScratch(payloadSize: headerBytes + payload.count, token: token)
    }

    /// Sends the publish encoded in `scratch`, or holds it while (re)connecting.
    private func sendScratch(payloadSize: Int, token: UInt64?) -> PublishOutcome {
        switch lifecycle {
        case .connected:
            guard case .up(let connection, _) = link, !connection.isClosing else {
                // Closed under us: its close callback is on the way and will reconnect.
                return hold(payloadSize: payloadSize, token: token)
            }
            if let error = send(on: connection) {
                if error.code == .writeBufferFull {
                    return .failed(BusError(.connectionFailed("the server is not reading fast enough: \(error.message)")))
                }
                return hold(payloadSize: payloadSize, token: token)
            }
            stats.messagesOut += 1
            stats.bytesOut += payloadSize
            return .sent
        case .connecting, .reconnecting:
            return hold(payloadSize: payloadSize, token: token)
        case .idle:
            return .failed(Self.notConnected)
        case .closing, .closed:
            return .failed(BusError(.closed))
        }
    }

    static var notConnected: BusError {
        BusError(.connectionFailed("not connected: call connect(completion:) first"))
    }

    /// Keeps the command in `scratch` for the reconnect, within the reconnect buffer's bound.
    private func hold(payloadSize: Int, token: UInt64?) -> PublishOutcome {
        guard held.bytes.count + scratch.count <= configuration.reconnectBufferBytes else {
            return .failed(BusError(.connectionFailed("disconnected, reconnect buffer full")))
        }
        held.append(scratch, payloadSize: payloadSize, token: token)
        return .held
    }

    /// After a (re)connect: every served key again with its own sid, then the inbox, then one
    /// PING whose PONG makes the subscriptions still waiting for it ready.
    func resubscribeAll(on connection: TCPConnection) {
        // A new server (or the same one, reconfigured) judges the inbox afresh.
        inboxRefusal = nil
        scratch.removeAll(keepingCapacity: true)
        var waiting: [UInt64] = []
        for sid in served.keys.sorted() {
            guard let entry = served[sid] else { continue }
            NATSCommand.subscribe(subject: entry.subject, queueGroup: configuration.queueGroup, sid: sid, into: &scratch)
            if entry.ready != nil { waiting.append(sid) }
        }
        if let inboxSid {
            NATSCommand.subscribe(subject: inbox.wildcard, queueGroup: nil, sid: inboxSid, into: &scratch)
        }
        if !waiting.isEmpty {
            NATSCommand.ping(into: &scratch)
            pushPongWaiter(.subscriptions(waiting))
        }
        guard !scratch.isEmpty else { return }
        if let error = send(on: connection) {
            linkLost("cannot subscribe: \(error.message)")
        }
    }

    /// After a (re)connect: sends what was published while disconnected, in order. A publish
    /// larger than this server's `max_payload` is left out (the server would close the
    /// connection over it) and its request fails with `.payloadTooLarge`.
    func sendHeldPublishes(on connection: TCPConnection) {
        held.keepLiveRequests { pending[$0] != nil }
        guard !held.isEmpty else { return }
        let taken = held
        held = HeldPublishes()
        let limit = serverInfo?.maxPayload ?? .max
        var refused: [(token: UInt64, size: Int)] = []
        var sentCount = 0
        var sentBytes = 0
        var oversizedReplies = 0
        var error: LoopError?
        if taken.records.allSatisfy({ $0.payloadSize <= limit }) {
            do { try connection.write(taken.bytes) } catch let failure { error = failure }
            sentCount = taken.records.count
            sentBytes = taken.records.reduce(0) { $0 + $1.payloadSize }
        } else {
            scratch.removeAll(keepingCapacity: true)
            var start = 0
            for record in taken.records {
                if record.payloadSize <= limit {
                    scratch.append(contentsOf: taken.bytes[start..<record.end])
                    sentCount += 1
                    sentBytes += record.payloadSize
                } else if let token = record.token {
                    refused.append((token, record.payloadSize))
                } else {
                    oversizedReplies += 1
                }
                start = record.end
            }
            error = send(on: connection)
        }
        if let error {
            // A refused write queued nothing: keep everything for the next connection.
            held = taken
            linkLost("cannot send held publishes: \(error.message)")
            return
        }
        stats.messagesOut += sentCount
        stats.bytesOut += sentBytes
        stats.oversizedReplies += oversizedReplies
        for (token, size) in refused {
            guard let request = pending.removeValue(forKey: token) else { continue }
            request.fail(BusError(.payloadTooLarge(size: size, limit: limit)))
        }
    }
}
