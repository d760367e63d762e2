import OaasHTTP2
import OaasLoop

/// One HTTP/2 connection of a `GRPCClient`. Calls made while it connects wait for it.
///
/// Loop-confined.
final class GRPCClientConnection: HTTP2SessionDelegate, LoopTurnObserver {
    private enum State { case connecting, ready, closing, closed }

    /// Held strongly while the connection is open, so a client nobody else keeps (its last
    /// call finished) still hears that its connection closed; the client drops the connection
    /// when it closes, which ends the cycle.
    let client: GRPCClient
    private var state = State.connecting
    private var tcp: TCPConnection?
    private var session: HTTP2Session?
    private var waiting: [GRPCClientCall] = []
    private var calls = HTTP2StreamMap<GRPCClientCall>()
    private var goAwayReceived = false
    private var closeWhenDone = false
    private var turnEndRequested = false
    /// The name lookup in progress, to cancel if the connection is given up meanwhile.
    private var resolution: HostResolution?

    init(client: GRPCClient) {
        self.client = client
    }

    var acceptsNewCalls: Bool { !goAwayReceived && !closeWhenDone && (state == .connecting || state == .ready) }

    /// Looks the host up (IP literals and `localhost` answer at once; names on libuv's pool),
    /// then tries its addresses in the resolver's order until one accepts.
    func connect() {
        let lookup = client.loop.resolve(host: client.host, port: client.port, timeout: client.connectTimeout) { [self] result in
            resolution = nil
            switch result {
            case .success(let addresses): dial(addresses[...], lastError: nil)
            case .failure(let error): failAll(GRPCStatus(.unavailable, "could not connect: \(error)"))
            }
        }
        if lookup.isPending { resolution = lookup }
    }

    private func dial(_ addresses: ArraySlice<SocketAddress>, lastError: LoopError?) {
        guard state == .connecting else { return }
        guard let address = addresses.first else {
            let reason = lastError.map { "\($0)" } ?? "\(client.host) has no address"
            return failAll(GRPCStatus(.unavailable, "could not connect: \(reason)"))
        }
        do {
            try TCPConnection.connect(loop: client.loop, to: address, timeout: client.connectTimeout) { [self] result in
                switch result {
                case .success(let tcp): connected(tcp)
                case .failure(let error): dial(addresses.dropFirst(), lastError: error)
                }
            }
        } catch {
            dial(addresses.dropFirst(), lastError: error)
        }
    }

    private func connected(_ tcp: TCPConnection) {
        guard state == .connecting else { return tcp.close() }
        let session: HTTP2Session
        do {
            session = try HTTP2Session(role: .client, settings: client.http2)
        } catch {
            tcp.close()
            return failAll(GRPCStatus(.internal, "could not create an HTTP/2 session: \(error)"))
        }
        session.delegate = self
        self.tcp = tcp
        self.session = session
        state = .ready
        tcp.onRead = { [self] event in
            switch event {
            case .bytes(let bytes):
                do { try self.session?.receive(bytes) } catch { self.session?.goAway(code: .protocolError) }
                scheduleOutput()
            case .endOfStream, .failed:
                tcp.close()
            }
        }
        tcp.onWritabilityChanged = { [self] writable in if writable { scheduleOutput() } }
        tcp.onClose = { [self] error in
            state = .closed
            self.session?.delegate = nil
            let reason = error.map { "connection lost: \($0)" } ?? "connection closed"
            failAll(GRPCStatus(.unavailable, reason))
            client.connectionDidClose(self)
        }
        tcp.startReading()
        let queued = waiting
        waiting = []
        for call in queued { start(call) }
        scheduleOutput()
    }

    func start(_ call: GRPCClientCall) {
        guard !call.isCompleted else { return }
        switch state {
        case .connecting:
            waiting.append(call)
            return
        case .closing, .closed:
            return call.complete(GRPCStatus(.unavailable, "connection closed"))
        case .ready:
            break
        }
        guard let session else { return }
        call.connection = self
        let authority = client.authority
        do {
            call.streamID = try session.request { block in
                block.add(":method", "POST")
                block.add(":scheme", "http")
                block.add(":path", call.path)
                block.add(":authority", authority)
                block.add("content-type", "application/grpc")
                block.add("te", "trailers")
                if let timeout = call.timeout {
                    block.add("grpc-timeout", GRPCTimeout.encode(milliseconds: max(1, timeout.milliseconds)))
                }
                for (name, value) in call.metadata { block.add(name, value) }
            }
        } catch {
            return call.complete(GRPCStatus(.unavailable, "could not start the call: \(error)"))
        }
        calls[call.streamID] = call
        session.sendData(streamID: call.streamID) { body in
            call.request.withUnsafeBytes { GRPCMessageWriter.append($0, to: &body) }
        }
        session.finish(streamID: call.streamID)
        scheduleOutput()
    }

    func cancel(_ call: GRPCClientCall) {
        guard call.streamID != 0, calls.removeValue(forKey: call.streamID) != nil else { return }
        session?.reset(streamID: call.streamID, code: .cancel)
        scheduleOutput()
        closeIfIdle()
    }

    func closeWhenIdle() {
        closeWhenDone = true
        closeIfIdle()
    }

    private func closeIfIdle() {
        guard closeWhenDone, calls.isEmpty, waiting.isEmpty else { return }
        switch state {
        case .connecting:
            state = .closed
            resolution?.cancel()
            resolution = nil
            client.connectionDidClose(self)
        case .ready:
            state = .closing
            session?.goAway(code: .noError)
            scheduleOutput()
        case .closing, .closed:
            break
        }
    }

    private func failAll(_ status: GRPCStatus) {
        let pending = waiting + calls.allValues
        waiting = []
        calls.removeAll()
        for call in pending { call.complete(status) }
        if state == .connecting {
            state = .closed
            client.connectionDidClose(self)
        }
    }

    // MARK: Output

    private func scheduleOutput() {
        guard !turnEndRequested, state == .ready || state == .closing else { return }
        turnEndRequested = true
        client.loop.requestTurnEnd(self)
    }

    func loopTurnWillEnd() {
        turnEndRequested = false
        guard let tcp, let session, !tcp.isClosing else { return }
        guard session.flush(into: tcp) == .written else { return tcp.close() }
        if state == .closing || (!session.wantsRead && !session.wantsWrite) {
            tcp.shutdownWrite { _ in tcp.close() }
        }
    }

    // MARK: HTTP2SessionDelegate

    func http2StreamHeadersBegan(_ streamID: Int32, isTrailers: Bool) {}

    func http2Header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        guard let call = calls[streamID] else { return }
        if name.equals(":status") {
            call.httpStatus = String(decoding: value, as: UTF8.self)
        } else if name.equals("grpc-status") {
            call.grpcStatus = Int(String(decoding: value, as: UTF8.self))
        } else if name.equals("grpc-message") {
            call.grpcMessage = GRPCPercentEncoding.decode(value)
        } else if name.first != UInt8(ascii: ":") {
            call.responseMetadata.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }

    func http2StreamHeadersEnded(_ streamID: Int32, isTrailers: Bool, endStream: Bool) {}

    func http2Data(_ streamID: Int32, bytes: UnsafeRawBufferPointer) {
        session?.consume(streamID: streamID, count: bytes.count)
        guard let call = calls[streamID], call.decodeError == nil else { return }
        do {
            try call.reader.append(bytes) { (message, compressed) throws(GRPCStatus) in
                guard !compressed else { throw GRPCStatus(.internal, "compressed responses are not supported") }
                guard call.message == nil else {
                    throw GRPCStatus(.internal, "the server sent more than one message for a unary call")
                }
                call.message = message
            }
        } catch {
            call.decodeError = error
            session?.reset(streamID: streamID, code: .cancel)
        }
    }

    func http2StreamRemoteEnded(_ streamID: Int32) {}

    func http2StreamClosed(_ streamID: Int32, errorCode: UInt32) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        call.complete(Self.status(of: call, errorCode: errorCode))
        closeIfIdle()
    }

    func http2ResetReceived(_ streamID: Int32, errorCode: UInt32) {}
    func http2PingReceived() {}
    func http2PingAcknowledged(payload: UInt64) {}
    func http2SettingsReceived() {}

    func http2GoAwayReceived(lastStreamID: Int32, errorCode: UInt32, debugData: UnsafeRawBufferPointer) {
        goAwayReceived = true
        client.connectionGotGoAway(self)
        // Streams above the last one the server names were never processed: safe to retry.
        // Once only: a server that refuses every connection must not make a call bounce forever.
        let unprocessed = calls.allValues.filter { $0.streamID > lastStreamID }
        let reason = String(decoding: debugData, as: UTF8.self)
        for call in unprocessed {
            calls[call.streamID] = nil
            call.streamID = 0
            if call.attempts < 2 {
                call.attempts += 1
                client.dispatch(call)
            } else {
                call.complete(GRPCStatus(.unavailable, "the server refused the call (GOAWAY\(reason.isEmpty ? "" : ": " + reason))"))
            }
        }
        closeIfIdle()
    }

    /// The call's outcome from what arrived: grpc-status when present, else what HTTP says.
    private static func status(of call: GRPCClientCall, errorCode: UInt32) -> GRPCStatus {
        if let error = call.decodeError { return error }
        if let code = call.grpcStatus {
            return GRPCStatus(GRPCStatus.Code(rawValue: code) ?? .unknown, call.grpcMessage)
        }
        if errorCode != 0 {
            let reason = "the stream was reset (HTTP/2 error code \(errorCode))"
            switch HTTP2ErrorCode(rawValue: errorCode) {
            case .refusedStream?: return GRPCStatus(.unavailable, reason)
            case .cancel?: return GRPCStatus(.cancelled, reason)
            case .enhanceYourCalm?: return GRPCStatus(.resourceExhausted, reason)
            default: return GRPCStatus(.internal, reason)
            }
        }
        let message = "the server sent HTTP status \(call.httpStatus.isEmpty ? "none" : call.httpStatus) without a grpc-status"
        switch call.httpStatus {
        case "400": return GRPCStatus(.internal, message)
        case "401": return GRPCStatus(.unauthenticated, message)
        case "403": return GRPCStatus(.permissionDenied, message)
        case "404": return GRPCStatus(.unimplemented, message)
        case "429", "502", "503", "504": return GRPCStatus(.unavailable, message)
        default: return GRPCStatus(.unknown, message)
        }
    }
}
