import OaasHTTP2
import OaasLoop

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// One client connection: a TCP connection, its HTTP/2 session, and the calls on it.
///
/// Frames produced during a loop turn are serialized once, at the turn's end, and leave in one
/// TCP write. When the peer stops reading, the connection stops reading too, so responses do
/// not pile up.
///
/// Loop-confined.
final class GRPCServerConnection: HTTP2SessionDelegate, LoopTurnObserver {
    /// Held strongly while the connection is open (the server drops the connection when it
    /// closes), so a draining server lives until its last connection is gone.
    let server: GRPCServer
    let tcp: TCPConnection
    let session: HTTP2Session
    @exclusivity(unchecked) private(set) var calls = HTTP2StreamMap<GRPCServerCall>()
    @exclusivity(unchecked) private var turnEndRequested = false
    /// Limits copied from the configuration, read per header and per call without going
    /// through the server.
    private let maxHeaderListSize: Int
    private let maxReceiveMessageBytes: Int
    /// The call whose header block is being received.
    @exclusivity(unchecked) private var headerCall: GRPCServerCall?
    @exclusivity(unchecked) private(set) var isClosing = false
    @exclusivity(unchecked) private(set) var lastActivity: UInt64
    @exclusivity(unchecked) private var keepalivePingSentAt: UInt64?
    @exclusivity(unchecked) private var drainNoticeSentAt: UInt64?
    @exclusivity(unchecked) private var finalGoAwaySent = false
    @exclusivity(unchecked) private var finalGoAwayLastStreamID: Int32 = 0
    @exclusivity(unchecked) private var resetBucket: TokenBucket
    @exclusivity(unchecked) private var pingBucket: TokenBucket
    @exclusivity(unchecked) private var settingsBucket: TokenBucket

    /// The headers every successful response starts with, and the trailers of an OK call.
    static let responseHeaders = HTTP2StaticHeaders([(":status", "200"), ("content-type", "application/grpc")])
    static let okTrailers = HTTP2StaticHeaders([("grpc-status", "0")])

    static let drainPingPayload: UInt64 = 0x6F61_6173_6472_6E31  // "oaasdrn1"
    static let keepalivePingPayload: UInt64 = 0x6F61_6173_6B61_6C76  // "oaaskalv"

    init(server: GRPCServer, tcp: TCPConnection) throws(HTTP2Error) {
        self.server = server
        self.tcp = tcp
        maxHeaderListSize = Int(server.configuration.http2.maxHeaderListSize)
        maxReceiveMessageBytes = server.configuration.maxReceiveMessageBytes
        session = try HTTP2Session(role: .server, settings: server.configuration.http2)
        let now = server.loop.nowMilliseconds
        lastActivity = now
        resetBucket = TokenBucket(server.configuration.resetFloodLimit, now: now)
        pingBucket = TokenBucket(server.configuration.pingFloodLimit, now: now)
        settingsBucket = TokenBucket(server.configuration.settingsFloodLimit, now: now)
        session.delegate = self
    }

    func start() {
        // The TCP callbacks hold the connection strongly: the connection lives as long as its
        // socket, and the cycle ends when the socket closes and drops its callbacks.
        tcp.onRead = { [self] event in
            switch event {
            case .bytes(let bytes): received(bytes)
            case .endOfStream: close()
            case .failed: break  // the TCP connection closes itself; onClose cleans up
            }
        }
        tcp.onWritabilityChanged = { [self] writable in
            guard writable, !isClosing else { return }
            tcp.startReading()
            scheduleOutput()
        }
        tcp.onClose = { [self] _ in closed() }
        tcp.startReading()
        scheduleOutput()  // our SETTINGS
    }

    var hasCallsInFlight: Bool { !calls.isEmpty }

    // MARK: Bytes in and out

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lastActivity = server.loop.nowMilliseconds
        keepalivePingSentAt = nil
        do {
            try session.receive(bytes)
        } catch {
            server.recordProtocolError()
            tcp.pauseReading()
        }
        if session.isTerminating { tcp.pauseReading() }
        scheduleOutput()
    }

    func scheduleOutput() {
        guard !turnEndRequested, !isClosing else { return }
        turnEndRequested = true
        server.loop.requestTurnEnd(self)
    }

    func loopTurnWillEnd() {
        turnEndRequested = false
        guard !isClosing else { return }
        switch session.flush(into: tcp) {
        case .written:
            break
        case .sessionFailed:
            server.recordProtocolError()
            return close()
        case .writeFailed:
            return close()
        }
        if !tcp.isWritable {
            // The peer is not reading: stop reading its requests until it catches up.
            tcp.pauseReading()
            return
        }
        if session.isTerminating || (!session.wantsRead && !session.wantsWrite) {
            close()
        } else if finalGoAwaySent, calls.isEmpty {
            close()
        }
    }

    /// Sends what is queued, then the FIN, then closes; force-closes if the peer never reads.
    func close() {
        guard !isClosing else { return }
        isClosing = true
        tcp.pauseReading()
        cancelAllCalls(GRPCStatus(.unavailable, "connection closed"))
        tcp.shutdownWrite { [tcp] _ in tcp.close() }
        if !tcp.isClosing {
            let timer = server.loop.schedule(after: .seconds(1)) { [tcp] in tcp.close() }
            tcp.whenClosed { timer.close() }
        }
    }

    /// Closes at once, dropping unsent bytes (drain deadline passed).
    func forceClose() {
        isClosing = true
        cancelAllCalls(GRPCStatus(.unavailable, "server shut down before the call finished"))
        tcp.close()
    }

    private func closed() {
        isClosing = true
        cancelAllCalls(GRPCStatus(.unavailable, "connection closed"))
        session.delegate = nil
        server.connectionDidClose(self)
    }

    private func cancelAllCalls(_ status: GRPCStatus) {
        guard !calls.isEmpty else { return }
        let open = calls.allValues
        calls.removeAll()
        for call in open where !call.isFinished {
            server.record(.cancelled)
            call.cancel(status)
        }
    }

    // MARK: Drain, keepalive, idle

    /// First step of a graceful shutdown: announce it, and ask for a PING round trip so the
    /// final GOAWAY names every stream the client sent before it heard the notice.
    func beginDrain() {
        guard !isClosing, drainNoticeSentAt == nil else { return }
        drainNoticeSentAt = server.loop.nowMilliseconds
        session.sendShutdownNotice()
        session.ping(payload: Self.drainPingPayload)
        scheduleOutput()
    }

    private func sendFinalGoAway() {
        guard !finalGoAwaySent, !isClosing else { return }
        finalGoAwaySent = true
        finalGoAwayLastStreamID = session.lastProcessedStreamID
        session.goAway(code: .noError, lastStreamID: finalGoAwayLastStreamID)
        scheduleOutput()
    }

    /// Called about once a second by the server: keepalive, idle and drain timing.
    func tick(now: UInt64) {
        guard !isClosing else { return }
        let configuration = server.configuration
        if let noticeAt = drainNoticeSentAt, !finalGoAwaySent,
           now >= noticeAt + configuration.goAwayNoticeDelay.milliseconds {
            sendFinalGoAway()
        }
        if let sentAt = keepalivePingSentAt, now >= sentAt + configuration.keepaliveTimeout.milliseconds {
            // The peer did not answer a keepalive PING: it is gone.
            return forceClose()
        }
        if let interval = configuration.keepaliveInterval, keepalivePingSentAt == nil,
           now >= lastActivity + interval.milliseconds {
            keepalivePingSentAt = now
            session.ping(payload: Self.keepalivePingPayload)
            scheduleOutput()
        }
        if let idle = configuration.maxConnectionIdle, calls.isEmpty, now >= lastActivity + idle.milliseconds {
            finalGoAwayLastStreamID = session.lastProcessedStreamID
            session.goAway(code: .noError, lastStreamID: finalGoAwayLastStreamID, debugData: "idle")
            finalGoAwaySent = true
            scheduleOutput()
        }
    }

    private func flood(_ reason: String) {
        // Frames already in this read may trip the limit again; one GOAWAY is enough.
        guard !session.isTerminating else { return }
        server.recordFlood()
        session.goAway(code: .enhanceYourCalm, debugData: reason)
        tcp.pauseReading()
        cancelAllCalls(GRPCStatus(.unavailable, "connection closed: \(reason)"))
        scheduleOutput()
    }

    // MARK: HTTP2SessionDelegate: requests

    func http2StreamHeadersBegan(_ streamID: Int32, isTrailers: Bool) {
        guard !isTrailers else { return }
        let call = GRPCServerCall(streamID: streamID, connection: self, maxMessageBytes: maxReceiveMessageBytes)
        calls[streamID] = call
        headerCall = call
    }

    func http2Header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        // A header block arrives whole before any other frame, so the call it belongs to is
        // the one just begun: no table lookup per header.
        guard let call = headerCall, call.streamID == streamID, call.state == .receiving else { return }
        call.headerBytes += name.count + value.count + 32
        if call.headerBytes > maxHeaderListSize {
            call.headersTooLarge = true
            return
        }
        GRPCRequestHeaders.apply(name: name, value: value, to: call)
    }

    func http2StreamHeadersEnded(_ streamID: Int32, isTrailers: Bool, endStream: Bool) {
        headerCall = nil
        guard let call = calls[streamID] else { return }
        if !isTrailers { start(call) }
        if endStream || isTrailers { requestEnded(call) }
    }

    func http2Data(_ streamID: Int32, bytes: UnsafeRawBufferPointer) {
        // Bytes are always taken off the window: either into the call's bounded buffer or
        // dropped for a call that has ended. The peer is never stalled by a dead stream.
        session.consume(streamID: streamID, count: bytes.count)
        guard let call = calls[streamID], !call.isFinished, call.method != nil else { return }
        let isStreaming = call.isStreaming
        do {
            try call.reader.append(bytes) { (message, compressed) throws(GRPCStatus) in
                let plain = try decoded(message, compressed: compressed, for: call)
                call.messageCount += 1
                if isStreaming {
                    call.onMessage?(plain)
                } else {
                    guard call.messageCount == 1 else {
                        throw GRPCStatus(.unimplemented, "a unary method received more than one request message")
                    }
                    call.unaryMessage = plain
                }
            }
        } catch {
            sendStatus(call, error)
        }
    }

    func http2StreamRemoteEnded(_ streamID: Int32) {
        guard let call = calls[streamID] else { return }
        requestEnded(call)
    }

    func http2StreamClosed(_ streamID: Int32, errorCode: UInt32) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        call.deadlineTimer?.close()
        call.deadlineTimer = nil
        if !call.isFinished {
            server.record(.cancelled)
            call.cancel(GRPCStatus(.cancelled, "the client cancelled the call (HTTP/2 error code \(errorCode))"))
        }
        if finalGoAwaySent, calls.isEmpty { scheduleOutput() }
    }

    func http2ResetReceived(_ streamID: Int32, errorCode: UInt32) {
        if !resetBucket.take(now: server.loop.nowMilliseconds) { flood("too many stream resets") }
    }

    func http2PingReceived() {
        if !pingBucket.take(now: server.loop.nowMilliseconds) { flood("too_many_pings") }
    }

    func http2PingAcknowledged(payload: UInt64) {
        switch payload {
        case Self.drainPingPayload: sendFinalGoAway()
        case Self.keepalivePingPayload: keepalivePingSentAt = nil
        default: break
        }
    }

    func http2SettingsReceived() {
        if !settingsBucket.take(now: server.loop.nowMilliseconds) { flood("too many SETTINGS frames") }
    }

    func http2GoAwayReceived(lastStreamID: Int32, errorCode: UInt32, debugData: UnsafeRawBufferPointer) {
        // The client is leaving; nghttp2 stops reading once its streams are done.
        scheduleOutput()
    }

    // MARK: Starting and ending calls

    private func start(_ call: GRPCServerCall) {
        // Streams above the last one our final GOAWAY named were, by its promise, never
        // processed: refuse them (the client may retry elsewhere) without counting a call.
        if finalGoAwaySent, call.streamID > finalGoAwayLastStreamID {
            call.state = .finished
            session.reset(streamID: call.streamID, code: .refusedStream)
            return scheduleOutput()
        }
        if server.isDraining {
            // A call opened after the shutdown notice is not taken. REFUSED_STREAM, not an
            // UNAVAILABLE status, tells the client it was never processed, so gRPC clients
            // retry it elsewhere on their own instead of failing it; it is not counted as a call.
            call.state = .finished
            session.reset(streamID: call.streamID, code: .refusedStream)
            return scheduleOutput()
        }
        if call.headersTooLarge {
            return sendStatus(call, GRPCStatus(.resourceExhausted,
                "request headers exceed \(server.configuration.http2.maxHeaderListSize) bytes"))
        }
        guard call.isPost else { return sendHTTPError(call, status: "405") }
        guard call.hasGRPCContentType else { return sendHTTPError(call, status: "415") }
        guard let method = call.route?.method else {
            return sendStatus(call, GRPCStatus(.unimplemented, "unknown method \(call.path)"))
        }
        if let encoding = call.unsupportedEncoding {
            return sendStatus(call, GRPCStatus(.unimplemented,
                "message encoding '\(encoding)' is not supported (accepted: \(GRPCCompression.acceptedEncodings))"))
        }
        if call.malformedTimeout {
            return sendStatus(call, GRPCStatus(.internal, "malformed grpc-timeout header"))
        }
        call.method = method
        if case .streaming = method { call.isStreaming = true }
        server.callStarted()
        if let deadline = call.deadline {
            let remaining = deadline > server.loop.nowMilliseconds ? deadline - server.loop.nowMilliseconds : 0
            call.deadlineTimer = server.loop.schedule(after: .milliseconds(remaining)) { [unowned call] in
                call.deadlineTimer = nil
                call.expire(GRPCStatus(.deadlineExceeded, "the call's deadline passed"))
            }
        }
        if case .streaming(let handler) = method { handler(call) }
    }

    private func requestEnded(_ call: GRPCServerCall) {
        guard !call.isFinished, let method = call.method else { return }
        if call.reader.hasPartialMessage {
            return sendStatus(call, GRPCStatus(.internal,
                "the request ended in the middle of a message (\(call.reader.partialDescription) received)"))
        }
        switch method {
        case .unary(let handler):
            guard let message = call.unaryMessage else {
                return sendStatus(call, GRPCStatus(.unimplemented, "a unary method received no request message"))
            }
            call.unaryMessage = nil
            handler(call, message)
        case .streaming:
            call.onRequestEnd?()
        }
    }

    private func decoded(_ message: [UInt8], compressed: Bool, for call: GRPCServerCall) throws(GRPCStatus) -> [UInt8] {
        guard compressed else { return message }
        switch call.requestEncoding {
        case .identity:
            throw GRPCStatus(.internal, "a message is marked compressed but the call has no grpc-encoding")
        case .gzip:
            return try GRPCCompression.gunzip(message, limit: server.configuration.maxReceiveMessageBytes)
        }
    }

    // MARK: Sending

    func sendResponse(_ call: GRPCServerCall, message: UnsafeRawBufferPointer) {
        guard call.state == .receiving else {
            // Streaming calls that already sent headers end with their message and trailers.
            guard sendHeadersIfNeeded(call) else { return }
            session.sendData(streamID: call.streamID) { body in GRPCMessageWriter.append(message, to: &body) }
            session.finish(streamID: call.streamID, trailers: Self.okTrailers)
            return finished(call, .ok)
        }
        do {
            try session.respond(streamID: call.streamID, headers: Self.responseHeaders,
                                body: { body in GRPCMessageWriter.append(message, to: &body) },
                                trailers: Self.okTrailers)
        } catch {
            session.reset(streamID: call.streamID, code: .internalError)
            return finished(call, .internal)
        }
        finished(call, .ok)
    }

    func sendMessage(_ call: GRPCServerCall, message: UnsafeRawBufferPointer) {
        guard sendHeadersIfNeeded(call) else { return }
        session.sendData(streamID: call.streamID) { body in GRPCMessageWriter.append(message, to: &body) }
        scheduleOutput()
    }

    func sendStatus(_ call: GRPCServerCall, _ status: GRPCStatus) {
        guard !call.isFinished else { return }
        let encodedMessage = status.message.isEmpty ? [] : GRPCPercentEncoding.encode(status.message)
        let writeStatus: (HTTP2HeaderBlock) -> Void = { block in
            block.add("grpc-status", String(status.code.rawValue))
            if !encodedMessage.isEmpty { encodedMessage.withUnsafeBytes { block.add("grpc-message", bytes: $0) } }
            if status.code == .unimplemented, call.unsupportedEncoding != nil {
                block.add("grpc-accept-encoding", GRPCCompression.acceptedEncodings)
            }
        }
        if call.state == .receiving {
            // Trailers-Only: one HEADERS frame with END_STREAM carries the status.
            do {
                try session.respond(streamID: call.streamID, body: .none) { block in
                    block.add(":status", "200")
                    block.add("content-type", "application/grpc")
                    writeStatus(block)
                }
            } catch {
                session.reset(streamID: call.streamID, code: .internalError)
            }
        } else {
            session.finish(streamID: call.streamID, trailers: writeStatus)
        }
        finished(call, status.code)
    }

    private func sendHTTPError(_ call: GRPCServerCall, status: String) {
        do {
            try session.respond(streamID: call.streamID, body: .none) { block in block.add(":status", status) }
        } catch {
            session.reset(streamID: call.streamID, code: .internalError)
        }
        server.recordHTTPRejection()
        finished(call, nil)
    }

    private func sendHeadersIfNeeded(_ call: GRPCServerCall) -> Bool {
        guard call.state == .receiving else { return call.state == .headersSent }
        do {
            try session.respond(streamID: call.streamID, body: .streaming, headers: Self.responseHeaders)
        } catch {
            session.reset(streamID: call.streamID, code: .internalError)
            finished(call, .internal)
            return false
        }
        call.state = .headersSent
        return true
    }

    /// Ends a call: no more responses, no deadline, callbacks dropped, the outcome counted
    /// (`nil` for an HTTP-level refusal, which is no gRPC status), and the frames flushed.
    private func finished(_ call: GRPCServerCall, _ code: GRPCStatus.Code?) {
        call.state = .finished
        call.deadlineTimer?.close()
        call.deadlineTimer = nil
        call.releaseCallbacks()
        if let code { server.record(code) }
        scheduleOutput()
    }
}

extension Duration {
    /// Whole milliseconds (rounded down) for the loop's millisecond clock.
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000 + UInt64(max(0, attoseconds) / 1_000_000_000_000_000)
    }
}
