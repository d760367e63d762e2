internal import CNGHTTP2

/// A failure reported by nghttp2, with its code and nghttp2's own explanation.
///
/// Any thread.
public struct HTTP2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// nghttp2's negative error code (e.g. -903 for a bad connection preface).
    public let code: Int32
    /// nghttp2's message for the code.
    public let message: String
    /// What was being attempted.
    public let operation: String

    init(code: Int32, operation: String) {
        self.code = code
        self.message = String(cString: nghttp2_strerror(code))
        self.operation = operation
    }

    public var description: String { "\(operation): \(message) (nghttp2 \(code))" }

    /// The peer did not start with the HTTP/2 connection preface.
    public var isBadPreface: Bool { code == NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue }
    /// The peer queued more control-frame acknowledgements than allowed (a flood).
    public var isFlood: Bool { code == NGHTTP2_ERR_FLOODED.rawValue }
}

/// HTTP/2 error codes (RFC 9113 section 7) used in RST_STREAM and GOAWAY.
public enum HTTP2ErrorCode: UInt32, Sendable {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case settingsTimeout = 0x4
    case streamClosed = 0x5
    case frameSizeError = 0x6
    case refusedStream = 0x7
    case cancel = 0x8
    case compressionError = 0x9
    case connectError = 0xa
    case enhanceYourCalm = 0xb
    case inadequateSecurity = 0xc
    case http11Required = 0xd
}
