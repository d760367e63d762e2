/// JetStream's answer to a publish on a stream's subject: the stored message's stream and
/// sequence (`{"stream":"KV_b", "seq":12}`, perhaps with `"duplicate":true` or a `"domain"`),
/// or why it was refused (`{"error":{...},"stream":"KV_b","seq":0}`).
///
/// Read with ``JSONScanner`` rather than Foundation: one arrives per write, on the hot path.
/// A plain value; any thread.
enum JetStreamPublishAck: Equatable {
    case stored(stream: String, sequence: UInt64)
    case refused(JetStreamAPIError)

    /// Reads an ack.
    /// - Throws: ``KVError`` `.malformedReply` for anything but a JSON object with either an
    ///   `error` object or both `stream` (a string) and `seq` (a positive integer).
    static func parse(_ payload: [UInt8]) throws(KVError) -> JetStreamPublishAck {
        var scanner = JSONScanner(payload)
        var stream: String?
        var sequence: UInt64?
        var error: JetStreamAPIError?
        do {
            try scanner.readObject { scanner, key throws(JSONScanner.Failure) in
                switch key {
                case "stream": stream = try scanner.readString()
                case "seq": sequence = try scanner.readUInt64()
                case "error": error = try JetStreamAPIError.read(&scanner)
                default: try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
        } catch {
            throw KVError(.malformedReply("publish ack: \(error.reason) at byte \(error.offset) of \(Self.quote(payload))"))
        }
        if let error { return .refused(error) }
        guard let stream else { throw KVError(.malformedReply("publish ack without a stream: \(Self.quote(payload))")) }
        guard let sequence, sequence > 0 else {
            throw KVError(.malformedReply("publish ack without a positive seq: \(Self.quote(payload))"))
        }
        return .stored(stream: stream, sequence: sequence)
    }

    /// A reply's start, for error texts: printable, and short whatever the reply's size.
    static func quote(_ payload: [UInt8]) -> String {
        let shown = payload.prefix(120).map { $0 >= 0x20 && $0 < 0x7F ? Character(Unicode.Scalar($0)) : "?" }
        return "'" + String(shown) + (payload.count > 120 ? "...' (\(payload.count) bytes)" : "'")
    }
}
