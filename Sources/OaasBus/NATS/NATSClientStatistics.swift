/// Counters a ``NATSClient`` keeps for logs and metrics. Any thread (a plain value).
public struct NATSClientStatistics: Equatable, Sendable {
    /// Connections re-established after one was lost.
    public var reconnects = 0
    /// MSG/HMSG received (requests for served keys and replies).
    public var messagesIn = 0
    /// PUB/HPUB handed to a connection (requests and replies, buffered ones when flushed).
    public var messagesOut = 0
    /// Payload bytes received.
    public var bytesIn = 0
    /// Payload bytes sent.
    public var bytesOut = 0
    /// Replies that arrived for an inbox token no pending request has (timed out, already
    /// answered, or never ours). Dropped.
    public var droppedReplies = 0
    /// Replies a handler gave that were larger than the server's `max_payload`. Dropped.
    public var oversizedReplies = 0
    /// Replies a handler gave to a request that had no reply subject. Dropped.
    public var unaddressedReplies = 0
    /// Replies a handler gave while disconnected with the reconnect buffer full. Dropped.
    public var unsentReplies = 0
    /// Times the server's bytes broke the protocol (the connection was then replaced).
    public var protocolErrors = 0
    /// `-ERR` messages received from servers.
    public var serverErrors = 0

    public init() {}
}
