/// Why a payload is not valid JSON, and the byte offset where the parser noticed.
///
/// Any thread. The offset counts bytes from the start of the input, so it points into the raw
/// payload a peer sent, which is what someone debugging a wire capture has in hand.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, without the position (for example `unexpected character 'a'`). Any thread.
    public let reason: String
    /// Zero-based byte offset in the input where the problem was detected. Any thread.
    public let offset: Int

    /// Creates an error from a reason and a byte offset. Any thread.
    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The reason followed by the position, for example `unexpected character 'a' at byte 3`. Any thread.
    public var description: String { "\(reason) at byte \(offset)" }
}
