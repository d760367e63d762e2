/// An error JetStream's API put in a reply: `{"error":{"code":400,"err_code":10071,"description":"..."}}`.
///
/// A plain value; any thread.
struct JetStreamAPIError: Equatable {
    /// The HTTP-like status (400, 404, 503, ...).
    var code: Int
    /// JetStream's own error number (`err_code`), 0 when the reply has none.
    var errorCode: Int
    var description: String

    /// JetStream's error numbers this package acts on.
    enum Number {
        /// `stream not found`.
        static let streamNotFound = 10059
        /// `stream name already in use with a different configuration` (a create that raced
        /// another, or a stream made by someone else).
        static let streamNameInUse = 10058
        /// `no message found` (a stream message get of an absent subject).
        static let noMessageFound = 10037
        /// `message size exceeds maximum allowed` (the stream's `max_msg_size`).
        static let messageTooLarge = 10054
        /// `wrong last sequence: <n>` (a failed compare-and-set).
        static let wrongLastSequence = 10071
    }

    /// Reads the members of the `error` object; the scanner stands at its `{`.
    /// - Throws: when it is not an object or `code` is missing or not an integer.
    static func read(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> JetStreamAPIError {
        var code: Int?
        var errorCode = 0
        var description = ""
        try scanner.readObject { scanner, key throws(JSONScanner.Failure) in
            switch key {
            case "code": code = try scanner.readInt()
            case "err_code": errorCode = try scanner.readInt()
            case "description": description = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard let code else { throw JSONScanner.Failure(reason: "an error without a code", offset: scanner.index) }
        return JetStreamAPIError(code: code, errorCode: errorCode, description: description)
    }

    /// The revision a failed compare-and-set found, from the description nats-server writes
    /// (`wrong last sequence: 5`): the decimal number after the last colon. Nil when the text
    /// has another shape.
    static func actualSequence(inWrongLastSequence description: String) -> UInt64? {
        guard description.utf8.starts(with: "wrong last sequence".utf8),
              let colon = description.utf8.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        let digits = description.utf8[description.utf8.index(after: colon)...].drop { $0 == UInt8(ascii: " ") }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(Substring(digits))
    }

    /// The key-value reading of this error.
    var kvError: KVError {
        switch errorCode {
        case Number.wrongLastSequence:
            if let actual = Self.actualSequence(inWrongLastSequence: description) {
                return KVError(.wrongLastSequence(actual: actual))
            }
        case Number.streamNotFound:
            return KVError(.bucketNotFound)
        default:
            break
        }
        return KVError(.api(code: code, errorCode: errorCode, description: description))
    }
}
