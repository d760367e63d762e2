/// Reads JetStream's reply to a direct get of a key's last message
/// (`$JS.API.DIRECT.GET.<stream>.<subject>`): the message itself, its headers carrying the
/// stream's own (`Nats-Sequence`, `Nats-Subject`, ...) besides the writer's, or a status
/// reply (`404 Message Not Found` when the key was never written).
///
/// No JSON on this path: one arrives per read. Pure; any thread.
enum KVDirectGetReply {
    /// The entry the reply carries, nil when the key has never been written.
    /// - Parameters:
    ///   - key: the key asked for.
    ///   - subjectPrefix: the bucket's `$KV.<bucket>.`; the reply must name the key's subject,
    ///     `subjectPrefix` + `key` (compared without building it: this runs per read).
    /// - Throws: ``KVError`` `.malformedReply` for a reply without a positive decimal
    ///   `Nats-Sequence`, naming another subject, or with an unknown `KV-Operation`; `.api` for
    ///   another status (408 for a request the server could not read, ...).
    static func entry(from reply: NATSReply, key: String, subjectPrefix: String) throws(KVError) -> KVEntry? {
        switch reply.status {
        case nil, 200?:
            break
        case 404?:
            return nil
        case let status?:
            throw KVError(.api(code: status, errorCode: 0, description: reply.statusDescription ?? "status \(status) without a description"))
        }
        guard let sequenceText = reply.header("Nats-Sequence") else {
            throw KVError(.malformedReply("direct get of \(subjectPrefix + key) without a Nats-Sequence header"))
        }
        guard let sequence = UInt64(sequenceText, radix: 10), sequence > 0 else {
            throw KVError(.malformedReply("direct get of \(subjectPrefix + key) with Nats-Sequence \(String(reflecting: sequenceText)), not a positive 64-bit number"))
        }
        if let replySubject = reply.header("Nats-Subject"), !isSubject(replySubject, prefix: subjectPrefix, key: key) {
            throw KVError(.malformedReply("direct get of \(subjectPrefix + key) answered with a message of \(replySubject)"))
        }
        let operation = try operation(reply.header("KV-Operation"), subject: subjectPrefix + key)
        return KVEntry(key: key, revision: sequence, operation: operation,
                       value: operation == .put ? reply.payload : [], headers: writerHeaders(reply.headers))
    }

    /// Whether `subject` is `prefix` followed by `key`.
    static func isSubject(_ subject: String, prefix: String, key: String) -> Bool {
        var bytes = subject.utf8.makeIterator()
        for byte in prefix.utf8 { guard bytes.next() == byte else { return false } }
        for byte in key.utf8 { guard bytes.next() == byte else { return false } }
        return bytes.next() == nil
    }

    /// The `KV-Operation` header's meaning: none is a put.
    static func operation(_ text: String?, subject: @autoclosure () -> String) throws(KVError) -> KVOperation {
        switch text {
        case nil: return .put
        case "DEL"?: return .delete
        case "PURGE"?: return .purge
        case let other?: throw KVError(.malformedReply("message of \(subject()) with an unknown KV-Operation \(String(reflecting: other))"))
        }
    }

    /// The fields a writer set: without JetStream's (`Nats-` names, which include the
    /// expected-sequence condition the write carried) and the operation marker.
    static func writerHeaders(_ headers: [NATSHeader]) -> [NATSHeader] {
        guard headers.contains(where: { !isReserved($0.name) }) else { return [] }
        return headers.filter { !isReserved($0.name) }
    }

    /// Names the bucket or JetStream set, which a writer may not.
    static func isReserved(_ name: String) -> Bool {
        NATSHeader.namesMatch(name, "KV-Operation") || hasNATSPrefix(name)
    }

    private static func hasNATSPrefix(_ name: String) -> Bool {
        let prefix = "nats-".utf8
        guard name.utf8.count >= prefix.count else { return false }
        return zip(name.utf8, prefix).allSatisfy { byte, expected in
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            return lower == expected
        }
    }
}
