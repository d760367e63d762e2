import BenchSupport
import OaasGRPC
import OaasHTTP2
import OaasLoop

/// One HTTP/2 connection of the run, with up to `-m` request streams in flight: each stream
/// that closes is judged, reported to the run and replaced at once if the run has a request to
/// start (always in the closed loop; in the open loop, one that is due).
///
/// Requests are written straight into the `HTTP2Session` (headers, one DATA frame from a
/// pre-encoded body, end of stream); all frames queued during a loop turn go out in one
/// write when the turn ends.
///
/// Loop-confined.
// Stored properties are `@exclusivity(unchecked)`, as in OaasLoop and OaasHTTP2: the object is
// confined to the loop thread and no access is held across a call that could reenter it, so
// the runtime's per-access check would guard nothing and costs time on every request.
final class LoadConnection: HTTP2SessionDelegate, LoopTurnObserver {
    private enum State { case connecting, ready, closing, closed }

    /// Unowned without checks: the run owns its connections and outlives them, and a checked
    /// `unowned` costs an atomic retain/release on every access (measured on the hot path).
    unowned(unsafe) let run: LoadRun
    /// The server this connection talks to (one of the run's `--port`s).
    let address: SocketAddress
    // Copied out of the options once: reading them through `run.options` on every request
    // would copy the whole struct (and retain its strings) each time.
    private let streams: Int
    // Header values as bytes: `HTTP2HeaderBlock.add(_:bytes:)` is a memcpy, where adding a
    // `String` walks its UTF-8 view (measured at a few percent of the generator's CPU).
    private let authority: [UInt8]
    private let method: [UInt8]
    private let path: [UInt8]
    private let isGRPC: Bool
    private let checkPayload: Bool
    private let extraHeaders: [(name: String, value: String)]
    @exclusivity(unchecked) private var state = State.connecting
    @exclusivity(unchecked) private var tcp: TCPConnection?
    @exclusivity(unchecked) private var session: HTTP2Session?
    @exclusivity(unchecked) private var inFlight: HTTP2StreamMap<InFlightRequest>
    @exclusivity(unchecked) private var spare: [InFlightRequest] = []
    /// Set by a GOAWAY or a failed stream submission: no new streams on this connection.
    @exclusivity(unchecked) private var noNewStreams = false
    @exclusivity(unchecked) private var turnEndRequested = false
    /// True once the run asked this connection to close (so its close is not a loss).
    @exclusivity(unchecked) private var closeRequested = false
    /// The request whose header block is being decoded: found once per block, not once per
    /// header field.
    @exclusivity(unchecked) private var headerTarget: InFlightRequest?

    /// Requests in flight on this connection.
    var inFlightCount: Int { inFlight.count }
    /// Whether this connection is finished: it failed to connect, or closed.
    var isClosed: Bool { state == .closed }

    init(run: LoadRun, address: SocketAddress) {
        self.run = run
        self.address = address
        let options = run.options
        self.streams = options.streams
        self.authority = Array("\(address)".utf8)
        self.method = Array(options.resolvedMethod.utf8)
        self.path = Array(options.path.utf8)
        self.isGRPC = !options.httpOnly
        self.checkPayload = options.checkPayload
        self.extraHeaders = options.extraHeaders
        self.inFlight = HTTP2StreamMap(capacity: max(64, run.options.streams))
        for _ in 0..<run.options.streams { spare.append(InFlightRequest()) }
    }

    func connect() {
        do {
            try TCPConnection.connect(loop: run.loop, to: address,
                                      timeout: .seconds(run.options.connectTimeoutSeconds)) { [self] result in
                switch result {
                case .success(let tcp): connected(tcp)
                case .failure(let error): connectFailed("\(error)")
                }
            }
        } catch {
            connectFailed("\(error)")
        }
    }

    private func connectFailed(_ reason: String) {
        state = .closed
        run.connectionFailedToConnect(self, reason: reason)
    }

    private func connected(_ tcp: TCPConnection) {
        guard state == .connecting, !closeRequested else {
            state = .closed
            tcp.close()
            return
        }
        let session: HTTP2Session
        do {
            session = try HTTP2Session(role: .client)
        } catch {
            tcp.close()
            return connectFailed("could not create an HTTP/2 session: \(error)")
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
        tcp.onClose = { [self] error in closed(error) }
        tcp.startReading()
        run.connectionReady(self)
        fill()
        scheduleOutput()
    }

    // MARK: Requests

    /// Starts requests until `-m` are in flight or the run has none to start now.
    func fill() {
        guard state == .ready, !noNewStreams, let session else { return }
        var started = false
        while inFlight.count < streams, let claim = run.claimRequest() {
            guard start(on: session, claim) else { break }
            started = true
        }
        if started { scheduleOutput() }
    }

    /// Starts one request if this connection has a free stream and the run has one to start
    /// (the open loop's pacing spreads a burst over the connections one by one this way).
    /// Returns whether it started one.
    func startOne() -> Bool {
        guard state == .ready, !noNewStreams, let session, inFlight.count < streams,
              let claim = run.claimRequest() else { return false }
        guard start(on: session, claim) else { return false }
        scheduleOutput()
        return true
    }

    private func start(on session: HTTP2Session, _ claim: RequestClaim) -> Bool {
        let body = run.bodies.nextBody()
        let streamID: Int32
        do {
            streamID = try session.request { block in
                method.withUnsafeBytes { block.add(":method", bytes: $0) }
                block.add(":scheme", "http")
                path.withUnsafeBytes { block.add(":path", bytes: $0) }
                authority.withUnsafeBytes { block.add(":authority", bytes: $0) }
                if isGRPC {
                    block.add("content-type", "application/grpc")
                    block.add("te", "trailers")
                }
                for header in extraHeaders { block.add(header.name, header.value) }
            }
        } catch {
            // The session refuses new streams (e.g. after the peer's GOAWAY): the claimed
            // request is lost, which the run must hear of so `-n` still adds up.
            noNewStreams = true
            run.requestCouldNotStart(measured: claim.measured)
            return false
        }
        let request = spare.popLast() ?? InFlightRequest()
        request.streamID = streamID
        request.startedMeasured = claim.measured
        let now = BenchClock.nanoseconds()
        request.startNanoseconds = now
        request.intendedNanoseconds = claim.intendedNanoseconds == 0 ? now : claim.intendedNanoseconds
        inFlight[streamID] = request
        run.requestStarted(request)
        if !body.isEmpty {
            body.withUnsafeBytes { session.sendData(streamID: streamID, $0) }
        }
        session.finish(streamID: streamID)
        return true
    }

    /// Ends every request still in flight as failed with `reason` (the final timeout), then
    /// resets the connection: nothing more is expected from it.
    func abandonInFlight(as reason: FailureReason) {
        let stuck = inFlight.allValues
        inFlight.removeAll()
        for request in stuck { run.requestFinished(request, failure: reason) }
        closeRequested = true
        if let tcp, !tcp.isClosing { tcp.resetAndClose() }
        if state == .connecting { state = .closed }
    }

    /// Graceful close: GOAWAY, then FIN once the output is written. In-flight streams, if
    /// any, are left to finish first (the run only calls this once it is done waiting).
    func close() {
        closeRequested = true
        switch state {
        case .connecting:
            break  // `connected` closes the socket if the handshake still completes
        case .ready:
            state = .closing
            session?.goAway(code: .noError)
            scheduleOutput()
        case .closing, .closed:
            break
        }
    }

    private func closed(_ error: LoopError?) {
        let wasExpected = closeRequested
        state = .closed
        session?.delegate = nil
        let lost = inFlight.allValues
        inFlight.removeAll()
        for request in lost { run.requestFinished(request, failure: .connectionError) }
        run.connectionClosed(self, expected: wasExpected,
                             reason: error.map { "\($0)" } ?? "closed by the server")
    }

    // MARK: Output

    private func scheduleOutput() {
        guard !turnEndRequested, state == .ready || state == .closing else { return }
        turnEndRequested = true
        run.loop.requestTurnEnd(self)
    }

    func loopTurnWillEnd() {
        turnEndRequested = false
        guard let tcp, let session, !tcp.isClosing else { return }
        guard session.flush(into: tcp) == .written else { return tcp.close() }
        let finished = state == .closing && inFlight.isEmpty
        if finished || (!session.wantsRead && !session.wantsWrite) {
            if !tcp.isWriteSideShutDown { tcp.shutdownWrite { _ in tcp.close() } }
        }
    }

    // MARK: HTTP2SessionDelegate

    func http2StreamHeadersBegan(_ streamID: Int32, isTrailers: Bool) {
        headerTarget = inFlight[streamID]
    }

    func http2Header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        guard let request = headerTarget, request.streamID == streamID else { return }
        if name.matches(":status") {
            request.httpStatus = value.decimalValue() ?? -1
        } else if name.matches("grpc-status") {
            // An unreadable status is UNKNOWN (2), as gRPC clients treat it.
            request.grpcStatus = value.decimalValue() ?? 2
        }
    }

    func http2StreamHeadersEnded(_ streamID: Int32, isTrailers: Bool, endStream: Bool) {
        if endStream, let request = headerTarget, request.streamID == streamID { request.remoteEnded = true }
        headerTarget = nil
    }

    func http2Data(_ streamID: Int32, bytes: UnsafeRawBufferPointer) {
        // The session opens no flow-control window by itself: give the bytes back at once.
        session?.consume(streamID: streamID, count: bytes.count)
        if checkPayload, let request = inFlight[streamID] {
            request.reply.append(contentsOf: bytes)
        }
    }

    func http2StreamRemoteEnded(_ streamID: Int32) {
        inFlight[streamID]?.remoteEnded = true
    }

    func http2StreamClosed(_ streamID: Int32, errorCode: UInt32) {
        guard let request = inFlight.removeValue(forKey: streamID) else { return }
        let failure = request.outcome(errorCode: errorCode, httpOnly: !isGRPC, checkPayload: checkPayload)
        run.requestFinished(request, failure: failure)
        request.reset()
        spare.append(request)
        fill()
        if state == .closing, inFlight.isEmpty { scheduleOutput() }
        if noNewStreams, inFlight.isEmpty, state == .ready { close() }
    }

    func http2ResetReceived(_ streamID: Int32, errorCode: UInt32) {}
    func http2PingReceived() {}
    func http2PingAcknowledged(payload: UInt64) {}
    func http2SettingsReceived() {}

    func http2GoAwayReceived(lastStreamID: Int32, errorCode: UInt32, debugData: UnsafeRawBufferPointer) {
        // nghttp2 closes the streams above `lastStreamID` itself (REFUSED_STREAM), which
        // counts them as failed; this connection opens no more. No reconnect: a server that
        // sends GOAWAY mid-run is a finding, not something to paper over.
        noNewStreams = true
        let detail = debugData.isEmpty ? "" : ": " + String(decoding: debugData, as: UTF8.self)
        run.connectionGotGoAway(self, reason: "GOAWAY (HTTP/2 error code \(errorCode))\(detail)")
        if inFlight.isEmpty, state == .ready { close() }
    }
}
