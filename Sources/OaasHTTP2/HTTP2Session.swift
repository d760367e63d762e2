internal import CNGHTTP2

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// One HTTP/2 connection's protocol state, with no I/O: bytes in (`receive`), events out (the
/// delegate), bytes to send (`drainOutput`). nghttp2 does the framing, HPACK and flow control.
///
/// Flow control: the session does not open the peer's windows automatically. Body bytes count
/// as consumed when the delegate has taken them (`consume(streamID:count:)`), so a consumer that
/// stops taking bytes stops the peer instead of buffering without bound.
///
/// Loop-confined: create and use a session on one thread.
public final class HTTP2Session {
    /// Which end of the connection this session is.
    public enum Role: Sendable { case server, client }

    public let role: Role
    /// Receives decoded events. Held strongly, because a weak load on every callback is
    /// measurable on the hot path; the owner sets it to nil when the connection closes, which
    /// breaks the cycle with a delegate that owns the session.
    @exclusivity(unchecked) public var delegate: (any HTTP2SessionDelegate)?

    let session: OpaquePointer
    @exclusivity(unchecked) var bodies = HTTP2StreamMap<OutboundBody>()
    @exclusivity(unchecked) private var bodyPool: [OutboundBody] = []
    private let headerBlock = HTTP2HeaderBlock()

    /// True once this side has sent (or queued) a GOAWAY that ends the connection.
    @exclusivity(unchecked) public private(set) var isTerminating = false

    /// Creates a session and queues our SETTINGS (and, for a client, the connection preface).
    /// - Throws: `HTTP2Error` if nghttp2 cannot allocate the session.
    public init(role: Role, settings: HTTP2Settings = HTTP2Settings()) throws(HTTP2Error) {
        self.role = role
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.installCallbacks(callbacks)

        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_no_closed_streams(option, 1)
        nghttp2_option_set_max_outbound_ack(option, settings.maxOutboundAcks)
        nghttp2_option_set_max_settings(option, settings.maxSettingsEntries)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)

        var created: OpaquePointer?
        // No user data yet: `self` is not complete until `session` is set. No callback runs
        // before `nghttp2_session_set_user_data` below.
        let status = role == .server
            ? nghttp2_session_server_new2(&created, callbacks, nil, option)
            : nghttp2_session_client_new2(&created, callbacks, nil, option)
        guard status == 0, let created else { throw HTTP2Error(code: status, operation: "create HTTP/2 session") }
        session = created
        nghttp2_session_set_user_data(session, Unmanaged.passUnretained(self).toOpaque())

        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialStreamWindow),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
        ]
        if role == .client { entries.removeFirst() }  // clients accept no pushed streams anyway
        try check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count),
                  "submit SETTINGS")
        try check(nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindow),
                  "open the connection window")
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Bytes in, bytes out

    /// Feeds bytes read from the peer; delegate callbacks run before this returns.
    /// - Throws: `HTTP2Error` for a protocol violation that ends the connection (bad preface,
    ///   flood, malformed frame). nghttp2 has then queued a GOAWAY; drain it, then close.
    public func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if consumed < 0 {
            isTerminating = true
            throw HTTP2Error(code: Int32(consumed), operation: "receive")
        }
    }

    /// Serializes queued frames, handing each chunk to `sink` (which must keep or copy it
    /// before returning). Stops early when `sink` returns false.
    /// - Throws: `HTTP2Error` if nghttp2 fails to serialize (the connection must then close).
    public func drainOutput(_ sink: (UnsafeRawBufferPointer) -> Bool) throws(HTTP2Error) {
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 {
                isTerminating = true
                throw HTTP2Error(code: Int32(count), operation: "send")
            }
            guard count > 0, let chunk else { return }
            if !sink(UnsafeRawBufferPointer(start: chunk, count: count)) { return }
        }
    }

    /// Whether nghttp2 still expects to read from the peer.
    public var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }
    /// Whether nghttp2 has frames to send.
    public var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }
    /// The highest stream id the peer opened that this session has seen.
    public var lastProcessedStreamID: Int32 { nghttp2_session_get_last_proc_stream_id(session) }

    // MARK: Flow control

    /// Marks `count` body bytes of `streamID` as taken by the application, which lets nghttp2
    /// open the stream and connection windows again.
    public func consume(streamID: Int32, count: Int) {
        guard count > 0 else { return }
        if nghttp2_session_consume(session, streamID, count) != 0 {
            // The stream is already gone; the connection window still has to reopen.
            nghttp2_session_consume_connection(session, count)
        }
    }

    // MARK: Submitting frames

    /// What follows the header block of a response or request.
    public enum Body {
        /// Nothing: the header block ends the stream (e.g. a gRPC Trailers-Only response).
        case none
        /// Body bytes follow through `sendData` and the stream ends with `finish`.
        case streaming
    }

    /// Sends response headers on a request stream (server).
    /// - Throws: `HTTP2Error` if the stream no longer exists or a response was already sent.
    public func respond(streamID: Int32, body: Body, headers: (HTTP2HeaderBlock) -> Void) throws(HTTP2Error) {
        headerBlock.reset()
        headers(headerBlock)
        var provider = oaas_make_data_provider(Self.readBodyCallback)
        let status: Int32 = headerBlock.withFields { fields, count in
            switch body {
            case .none:
                return nghttp2_submit_response(session, streamID, fields, count, nil)
            case .streaming:
                attachBody(to: streamID)
                return nghttp2_submit_response(session, streamID, fields, count, &provider)
            }
        }
        if status != 0 {
            releaseBody(of: streamID)
            throw HTTP2Error(code: status, operation: "respond on stream \(streamID)")
        }
    }

    /// Sends constant response headers on a request stream (server); see `HTTP2StaticHeaders`.
    /// - Throws: `HTTP2Error` if the stream no longer exists or a response was already sent.
    public func respond(streamID: Int32, body: Body, headers: HTTP2StaticHeaders) throws(HTTP2Error) {
        var provider = oaas_make_data_provider(Self.readBodyCallback)
        let status: Int32
        switch body {
        case .none:
            status = nghttp2_submit_response(session, streamID, headers.fields, headers.count, nil)
        case .streaming:
            attachBody(to: streamID)
            status = nghttp2_submit_response(session, streamID, headers.fields, headers.count, &provider)
        }
        if status != 0 {
            releaseBody(of: streamID)
            throw HTTP2Error(code: status, operation: "respond on stream \(streamID)")
        }
    }

    /// Sends a whole response at once (server): constant headers, the body `writeBody`
    /// produces, and constant trailers. The common unary case, with one stream-table insert and
    /// no lookups.
    /// - Throws: `HTTP2Error` if the stream no longer exists or a response was already sent.
    public func respond(streamID: Int32, headers: HTTP2StaticHeaders, body writeBody: (inout [UInt8]) -> Void,
                        trailers: HTTP2StaticHeaders) throws(HTTP2Error) {
        let body = bodyPool.popLast() ?? OutboundBody()
        writeBody(&body.data)
        body.finished = true
        body.hasTrailers = true
        body.staticTrailers = trailers
        bodies[streamID] = body
        var provider = oaas_make_data_provider(Self.readBodyCallback)
        let status = nghttp2_submit_response(session, streamID, headers.fields, headers.count, &provider)
        if status != 0 {
            releaseBody(of: streamID)
            throw HTTP2Error(code: status, operation: "respond on stream \(streamID)")
        }
    }

    /// Opens a request stream (client) with a body that follows through `sendData` / `finish`.
    /// - Returns: the new stream's id.
    /// - Throws: `HTTP2Error`, e.g. when the peer's GOAWAY forbids new streams.
    public func request(headers: (HTTP2HeaderBlock) -> Void) throws(HTTP2Error) -> Int32 {
        headerBlock.reset()
        headers(headerBlock)
        var provider = oaas_make_data_provider(Self.readBodyCallback)
        let streamID: Int32 = headerBlock.withFields { fields, count in
            nghttp2_submit_request(session, nil, fields, count, &provider, nil)
        }
        guard streamID > 0 else { throw HTTP2Error(code: streamID, operation: "open a request stream") }
        attachBody(to: streamID)
        return streamID
    }

    /// Queues body bytes on a stream opened with a streaming body.
    public func sendData(streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let body = bodies[streamID], !body.finished else { return }
        body.data.append(contentsOf: bytes)
        resumeIfDeferred(body, streamID: streamID)
    }

    /// Appends to a stream's pending body through `write`, which gets the body's byte buffer
    /// (for encoders that write a length prefix and a message in place).
    public func sendData(streamID: Int32, write: (inout [UInt8]) -> Void) {
        guard let body = bodies[streamID], !body.finished else { return }
        write(&body.data)
        resumeIfDeferred(body, streamID: streamID)
    }

    /// Ends a streaming body: with trailers (server: gRPC status) or without (client request).
    public func finish(streamID: Int32, trailers: ((HTTP2HeaderBlock) -> Void)? = nil) {
        guard let body = bodies[streamID], !body.finished else { return }
        body.finished = true
        if let trailers {
            body.trailers.reset()
            trailers(body.trailers)
            body.hasTrailers = true
        }
        resumeIfDeferred(body, streamID: streamID)
    }

    /// Ends a streaming body with constant trailers; see `HTTP2StaticHeaders`.
    public func finish(streamID: Int32, trailers: HTTP2StaticHeaders) {
        guard let body = bodies[streamID], !body.finished else { return }
        body.finished = true
        body.staticTrailers = trailers
        body.hasTrailers = true
        resumeIfDeferred(body, streamID: streamID)
    }

    /// Resets a stream with `code`.
    public func reset(streamID: Int32, code: HTTP2ErrorCode) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, code.rawValue)
    }

    /// First step of a graceful shutdown (server): a GOAWAY announcing that no new streams will
    /// be accepted soon, without naming a last stream yet.
    public func sendShutdownNotice() {
        _ = nghttp2_submit_shutdown_notice(session)
    }

    /// Sends a PING with `payload`; the delegate hears of the acknowledgement.
    public func ping(payload: UInt64) {
        var bytes = payload.bigEndian
        withUnsafeBytes(of: &bytes) { raw in
            _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Sends GOAWAY naming the last stream we will process (the last one seen, by default).
    /// With an error code other than `.noError` the connection is ending: `isTerminating` turns
    /// true, and the owner should close once the output is drained.
    public func goAway(code: HTTP2ErrorCode = .noError, lastStreamID: Int32? = nil, debugData: String = "") {
        if code != .noError { isTerminating = true }
        var debug = Array(debugData.utf8)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID ?? lastProcessedStreamID,
                                  code.rawValue, &debug, debug.count)
    }

    /// Whether the peer has ended its side of `streamID`.
    public func isRemoteClosed(streamID: Int32) -> Bool {
        nghttp2_session_get_stream_remote_close(session, streamID) == 1
    }

    private func check(_ status: Int32, _ operation: String) throws(HTTP2Error) {
        if status != 0 { throw HTTP2Error(code: status, operation: operation) }
    }

    // MARK: Outbound bodies

    private func attachBody(to streamID: Int32) {
        let body = bodyPool.popLast() ?? OutboundBody()
        bodies[streamID] = body
    }

    func releaseBody(of streamID: Int32) {
        guard let body = bodies.removeValue(forKey: streamID) else { return }
        body.recycle()
        if bodyPool.count < 256 { bodyPool.append(body) }
    }

    private func resumeIfDeferred(_ body: OutboundBody, streamID: Int32) {
        if body.deferred {
            body.deferred = false
            _ = nghttp2_session_resume_data(session, streamID)
        }
    }

    /// nghttp2 asks for up to `length` body bytes of `streamID`.
    func readBody(streamID: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int,
                  flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let body = bodies[streamID] else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        let remaining = body.data.count - body.offset
        let count = min(remaining, length)
        if count > 0 {
            body.data.withUnsafeBytes { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + body.offset, byteCount: count)
            }
            body.offset += count
        }
        guard body.offset == body.data.count else { return count }
        body.data.removeAll(keepingCapacity: true)
        body.offset = 0
        if body.finished {
            if body.hasTrailers {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                let status: Int32
                if let constant = body.staticTrailers {
                    status = nghttp2_submit_trailer(session, streamID, constant.fields, constant.count)
                } else {
                    status = body.trailers.withFields { fields, fieldCount in
                        nghttp2_submit_trailer(session, streamID, fields, fieldCount)
                    }
                }
                if status != 0 { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
            } else {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            }
            return count
        }
        if count == 0 {
            body.deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        return count
    }
}

/// The bytes still to send on one stream, and its trailers. Pooled per session.
final class OutboundBody {
    @exclusivity(unchecked) var data: [UInt8] = []
    @exclusivity(unchecked) var offset = 0
    @exclusivity(unchecked) var finished = false
    @exclusivity(unchecked) var deferred = false
    @exclusivity(unchecked) var hasTrailers = false
    let trailers = HTTP2HeaderBlock()
    var staticTrailers: HTTP2StaticHeaders?

    func recycle() {
        data.removeAll(keepingCapacity: data.capacity <= 64 << 10)
        offset = 0
        finished = false
        deferred = false
        hasTrailers = false
        staticTrailers = nil
        trailers.reset()
    }
}
