/// The HTTP/2 settings and protections a session starts with.
///
/// Defaults are safe for a public server: bounded streams, headers and control-frame queues.
/// Any thread (a plain value).
public struct HTTP2Settings: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised to the peer; nghttp2 refuses streams beyond it
    /// with RST_STREAM(REFUSED_STREAM).
    public var maxConcurrentStreams: UInt32 = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: how much each stream may send before we open its window.
    public var initialStreamWindow: UInt32 = 1 << 20
    /// The connection-level receive window.
    public var connectionWindow: Int32 = 8 << 20
    /// SETTINGS_MAX_FRAME_SIZE we accept.
    public var maxFrameSize: UInt32 = 16 << 10
    /// SETTINGS_MAX_HEADER_LIST_SIZE advertised; the gRPC layer also enforces it per stream.
    public var maxHeaderListSize: UInt32 = 16 << 10
    /// Outstanding PING/SETTINGS ACKs nghttp2 may queue before it treats the peer as flooding.
    public var maxOutboundAcks = 1_000
    /// Entries accepted in one SETTINGS frame.
    public var maxSettingsEntries = 32
    /// CONTINUATION frames accepted after one HEADERS frame.
    public var maxContinuations = 8

    public init() {}
}
