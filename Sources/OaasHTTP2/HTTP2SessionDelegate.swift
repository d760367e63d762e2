/// Receives what an `HTTP2Session` decodes. All calls happen synchronously inside
/// `HTTP2Session.receive(_:)` (or `drainOutput`), on the session's thread. Byte buffers are
/// valid only during the call.
public protocol HTTP2SessionDelegate: AnyObject {
    /// A header block is starting on `streamID`: a request (server), a response or trailers
    /// (client).
    func http2StreamHeadersBegan(_ streamID: Int32, isTrailers: Bool)
    /// One header field of the block in progress.
    func http2Header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    /// The header block is complete; `endStream` if the peer sent no body after it.
    func http2StreamHeadersEnded(_ streamID: Int32, isTrailers: Bool, endStream: Bool)
    /// Body bytes on `streamID`.
    func http2Data(_ streamID: Int32, bytes: UnsafeRawBufferPointer)
    /// The peer ended its side of `streamID` with a DATA frame (END_STREAM).
    func http2StreamRemoteEnded(_ streamID: Int32)
    /// The stream is gone (completed, reset by either side, or refused). `errorCode` is the
    /// HTTP/2 error code (0 for a normal close).
    func http2StreamClosed(_ streamID: Int32, errorCode: UInt32)
    /// The peer reset `streamID`; `http2StreamClosed` follows.
    func http2ResetReceived(_ streamID: Int32, errorCode: UInt32)
    /// A PING (not an acknowledgement) arrived; nghttp2 answers it.
    func http2PingReceived()
    /// The peer acknowledged our PING carrying `payload`.
    func http2PingAcknowledged(payload: UInt64)
    /// A SETTINGS frame (not an acknowledgement) arrived.
    func http2SettingsReceived()
    /// The peer sent GOAWAY.
    func http2GoAwayReceived(lastStreamID: Int32, errorCode: UInt32, debugData: UnsafeRawBufferPointer)
}
