/// Reassembles length-prefixed gRPC messages from body bytes that arrive in any split:
/// a 1-byte compressed flag, a 4-byte big-endian length, then the message.
///
/// Loop-confined value.
struct GRPCMessageReader {
    let maxMessageBytes: Int
    private var header: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
    private var headerCount = 0
    private var expected = 0
    private var compressed = false
    private var message: [UInt8] = []
    private var inMessage = false

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// True when some bytes of a message (or of its prefix) have arrived but not all.
    var hasPartialMessage: Bool { headerCount > 0 || inMessage }
    /// How far the partial message got, for error messages.
    var partialDescription: String {
        inMessage ? "\(message.count) of \(expected) bytes" : "\(headerCount) of 5 prefix bytes"
    }

    /// Consumes `bytes`, calling `deliver(message, compressedFlag)` for each complete message.
    /// - Throws: `GRPCStatus` `.resourceExhausted` for a prefix above the limit, `.internal` for
    ///   a compressed-flag byte other than 0 or 1. The reader is then unusable.
    mutating func append(_ bytes: UnsafeRawBufferPointer, deliver: ([UInt8], Bool) throws(GRPCStatus) -> Void) throws(GRPCStatus) {
        var index = 0
        while index < bytes.count {
            if !inMessage {
                let byte = bytes[index]
                index += 1
                switch headerCount {
                case 0: header.0 = byte
                case 1: header.1 = byte
                case 2: header.2 = byte
                case 3: header.3 = byte
                default: header.4 = byte
                }
                headerCount += 1
                guard headerCount == 5 else { continue }
                try beginMessage()
                if expected == 0 {
                    try finishMessage(deliver)
                }
                continue
            }
            let take = min(expected - message.count, bytes.count - index)
            message.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
            index += take
            if message.count == expected { try finishMessage(deliver) }
        }
    }

    private mutating func beginMessage() throws(GRPCStatus) {
        guard header.0 <= 1 else {
            throw GRPCStatus(.internal, "invalid compressed flag \(header.0) in message prefix")
        }
        compressed = header.0 == 1
        expected = Int(header.1) << 24 | Int(header.2) << 16 | Int(header.3) << 8 | Int(header.4)
        guard expected <= maxMessageBytes else {
            throw GRPCStatus(.resourceExhausted,
                             "received message of \(expected) bytes, more than the limit of \(maxMessageBytes)")
        }
        inMessage = true
        // A prefix may promise more than ever arrives; reserve in steps, not all at once.
        message.reserveCapacity(min(expected, 1 << 20))
    }

    private mutating func finishMessage(_ deliver: ([UInt8], Bool) throws(GRPCStatus) -> Void) throws(GRPCStatus) {
        let complete = message
        message = []
        inMessage = false
        headerCount = 0
        try deliver(complete, compressed)
    }
}

/// Writes the 5-byte prefix and a message into a body buffer.
enum GRPCMessageWriter {
    static func append(_ message: UnsafeRawBufferPointer, compressed: Bool = false, to body: inout [UInt8]) {
        let length = UInt32(message.count)
        body.append(compressed ? 1 : 0)
        body.append(UInt8(truncatingIfNeeded: length >> 24))
        body.append(UInt8(truncatingIfNeeded: length >> 16))
        body.append(UInt8(truncatingIfNeeded: length >> 8))
        body.append(UInt8(truncatingIfNeeded: length))
        body.append(contentsOf: message)
    }
}
