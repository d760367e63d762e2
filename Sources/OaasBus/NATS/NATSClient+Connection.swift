import OaasLoop

// Connecting: rounds of attempts over the servers, the handshake, reading, and replacing a lost
// connection. Loop thread only.
extension NATSClient {
    /// Connects: tries each configured server once, in order (every address of a server
    /// given by name, before the next server), and completes once a server has acknowledged
    /// CONNECT (its PONG to the PING behind it).
    ///
    /// - Parameter completion: runs once on the loop thread: success; `.authorizationFailed`
    ///   with the server's text (e.g. "Authorization Violation") when credentials were refused;
    ///   `.connectionFailed` saying why each server failed when none worked (`cannot resolve
    ///   'nats.example': ...` for a name without an address; the client is then
    ///   idle again and may be asked to connect again); `.closed` after ``close(completion:)``.
    ///   While connecting or reconnecting, it waits for that to end; when connected, it runs
    ///   at once.
    /// Loop thread only.
    public func connect(completion: @escaping (Result<Void, BusError>) -> Void) {
        loop.preconditionInLoop()
        switch lifecycle {
        case .idle:
            installShutdownHook()
            connectCompletions.append(completion)
            setLifecycle(.connecting)
            guard case .connecting = lifecycle else { return }
            startRound(after: nil)
        case .connecting, .reconnecting:
            connectCompletions.append(completion)
        case .connected:
            completion(.success(()))
        case .closing, .closed:
            completion(.failure(BusError(.closed)))
        }
    }

    /// Closes the client when the loop shuts down, so that a forgotten client leaks nothing.
    private func installShutdownHook() {
        guard !shutdownHookInstalled else { return }
        shutdownHookInstalled = true
        loop.onShutdown { [weak self] in self?.close {} }
    }

    // MARK: Rounds of attempts

    /// Starts a pass over every known server, beginning after `current`.
    func startRound(after current: NATSEndpoint?) {
        round = ConnectRound(candidates: pool.round(after: current))
        dialNext()
    }

    /// The TCP connect succeeded: wait for the server's INFO, within the connect timeout.
    func connectionOpened(_ connection: TCPConnection, endpoint: NATSEndpoint, generation: UInt64) {
        parser = NATSParser()
        link = .awaitingInfo(connection, endpoint)
        // Held publishes go out in one write after the reconnect.
        connection.maxBufferedBytes = max(connection.maxBufferedBytes, 2 * configuration.reconnectBufferBytes)
        connection.onRead = { [self] event in didRead(event, generation: generation) }
        connection.onClose = { [self] error in connectionClosed(error, generation: generation) }
        connection.startReading()
        armLinkTimer(after: configuration.connectTimeout) { [self] in
            guard generation == linkGeneration else { return }
            attemptFailed(BusError(.connectionFailed(
                "\(Self.address(of: endpoint)): no NATS handshake within \(configuration.connectTimeout)")))
        }
    }

    /// The current attempt failed during the handshake: drop it and try the next address or
    /// server.
    func attemptFailed(_ error: BusError) {
        if let address = currentAddress { log("connection attempt to \(address) failed: \(error)") }
        // No flush can wait during a handshake: nothing to run.
        _ = dropLink()
        round.record(error)
        dialNext()
    }

    /// Every server of the round failed.
    func roundFailed() {
        let failure = round.failure
        switch lifecycle {
        case .connecting:
            // The first connect does not retry: the caller hears why and may try again.
            var callbacks: [() -> Void] = []
            collectFailures(of: failure, into: &callbacks)
            setLifecycle(.idle)
            for callback in callbacks { callback() }
        case .reconnecting(let attempt):
            backoffLevel += 1
            if let limit = configuration.maxReconnectAttempts, attempt >= limit {
                log("giving up after \(attempt) reconnect rounds: \(failure)")
                shutDown(failing: BusError(.connectionFailed("gave up reconnecting after \(attempt) rounds: \(failure.description)")))
                return
            }
            setLifecycle(.reconnecting(attempt: attempt + 1))
            guard case .reconnecting = lifecycle else { return }
            scheduleRound()
        case .idle, .connected, .closing, .closed:
            assertionFailure("a connect round ended in lifecycle \(lifecycle)")
        }
    }

    /// Starts the next reconnect round after its back-off pause.
    private func scheduleRound() {
        let delay = NATSReconnectBackoff.delay(level: backoffLevel, base: configuration.reconnectBaseDelay,
                                               max: configuration.reconnectMaxDelay)
        guard delay > .zero else { return startRound(after: lastEndpoint) }
        armLinkTimer(after: delay) { [self] in
            guard case .reconnecting = lifecycle else { return }
            startRound(after: lastEndpoint)
        }
    }

    func armLinkTimer(after delay: Duration, _ body: @escaping () -> Void) {
        let timer: LoopTimer
        if let linkTimer {
            timer = linkTimer
        } else {
            timer = makeTimer()
            linkTimer = timer
        }
        timer.start(after: delay, body)
    }

    // MARK: Reading

    private func didRead(_ event: TCPConnection.ReadEvent, generation: UInt64) {
        guard generation == linkGeneration else { return }
        switch event {
        case .bytes(let bytes):
            do {
                try parser.parse(bytes) { [self] operation in
                    // An operation may have dropped the connection: ignore the rest of its bytes.
                    guard generation == linkGeneration else { return }
                    handle(operation)
                }
            } catch {
                guard generation == linkGeneration else { return }
                stats.protocolErrors += 1
                connectionBroken(BusError(.protocolError("\(currentAddress ?? "the server") broke the protocol: \(error.reason)")))
            }
        case .endOfStream:
            connectionBroken(BusError(.connectionFailed("\(currentAddress ?? "the server") closed the connection")))
        case .failed(let error):
            connectionBroken(BusError(.connectionFailed("reading from \(currentAddress ?? "the server") failed: \(error.message)")))
        }
    }

    private func connectionClosed(_ error: LoopError?, generation: UInt64) {
        guard generation == linkGeneration else { return }
        let reason = error.map { ": \($0.message)" } ?? ""
        connectionBroken(BusError(.connectionFailed("the connection to \(currentAddress ?? "the server") closed\(reason)")))
    }

    /// The current connection cannot go on: a failed attempt during the handshake, a lost
    /// connection after it.
    func connectionBroken(_ error: BusError) {
        switch link {
        case .awaitingInfo, .awaitingPong:
            attemptFailed(error)
        case .up:
            linkLost(error.description)
        case .down, .resolving, .dialing:
            break
        }
    }

    private func handle(_ operation: NATSServerOp) {
        switch operation {
        case .message(let message):
            didReceiveMessage(message)
        case .ping:
            answerPing()
        case .pong:
            didReceivePong()
        case .info(let info):
            didReceiveInfo(info)
        case .ok:
            break
        case .error(let text):
            didReceiveServerError(text)
        }
    }

    private func answerPing() {
        guard let connection = currentConnection else { return }
        scratch.removeAll(keepingCapacity: true)
        NATSCommand.pong(into: &scratch)
        if let error = send(on: connection) {
            connectionBroken(BusError(.connectionFailed("cannot answer the server's PING: \(error.message)")))
        }
    }

    // MARK: Handshake

    private func didReceiveInfo(_ info: NATSServerInfo) {
        let added = pool.addAnnounced(info.connectURLs)
        if added > 0 { log("servers known: \(knownServersText)") }
        switch link {
        case .awaitingInfo(let connection, let endpoint):
            serverInfo = info
            serverAddress = Self.address(of: endpoint)
            if info.tlsRequired {
                return attemptFailed(BusError(.connectionFailed("\(Self.address(of: endpoint)) requires TLS, which this client does not support")))
            }
            var options = NATSConnectOptions()
            options.name = configuration.name
            options.authToken = endpoint.token
            options.user = endpoint.user
            options.password = endpoint.password
            // A server without headers would refuse no_responders, which needs them.
            options.headers = info.headers
            options.noResponders = info.headers
            scratch.removeAll(keepingCapacity: true)
            NATSCommand.connect(options, into: &scratch)
            NATSCommand.ping(into: &scratch)
            link = .awaitingPong(connection, endpoint)
            pushPongWaiter(.handshake)
            if let error = send(on: connection) {
                attemptFailed(BusError(.connectionFailed("\(Self.address(of: endpoint)): \(error.message)")))
            }
        case .awaitingPong:
            serverInfo = info
        case .up(_, let endpoint):
            serverInfo = info
            if info.lameDuckMode { serverEntersLameDuckMode(endpoint) }
        case .down, .resolving, .dialing:
            break
        }
    }

    /// The handshake's PONG arrived: the connection is ready.
    func handshakeCompleted() {
        guard case .awaitingPong(let connection, let endpoint) = link else { return }
        linkTimer?.cancel()
        link = .up(connection, endpoint)
        lastEndpoint = endpoint
        linkUpSince = loop.nowMilliseconds
        let isReconnect: Bool
        switch lifecycle {
        case .reconnecting: isReconnect = true
        case .connecting: isReconnect = false
        case .idle, .connected, .closing, .closed:
            assertionFailure("a handshake completed in lifecycle \(lifecycle)")
            return
        }
        if isReconnect { stats.reconnects += 1 }
        log("\(isReconnect ? "reconnected" : "connected") to \(Self.address(of: endpoint))")
        // Connected before anything is sent, so that a request made by a callback below goes
        // straight out behind the held ones instead of being held again.
        let before = publicState
        lifecycle = .connected
        // Subscriptions first, then what was held: a held request's reply needs the inbox.
        resubscribeAll(on: connection)
        guard case .up = link else { return }
        sendHeldPublishes(on: connection)
        guard case .up = link, case .connected = lifecycle else { return }
        startKeepalive()
        if publicState != before { onStateChange?(publicState) }
        guard case .connected = lifecycle else { return }
        let completions = connectCompletions
        connectCompletions = []
        for completion in completions { completion(.success(())) }
    }

    // MARK: Server errors

    private func didReceiveServerError(_ text: String) {
        stats.serverErrors += 1
        log("server \(currentAddress ?? "") reported: \(text)")
        if text.hasPrefix("Permissions Violation") {
            // The server keeps the connection: only the refused subscription or publish fails.
            return permissionViolation(text)
        }
        switch link {
        case .awaitingInfo, .awaitingPong:
            attemptFailed(Self.isAuthorizationError(text)
                ? BusError(.authorizationFailed(text))
                : BusError(.connectionFailed("\(currentAddress ?? "the server") refused the connection: \(text)")))
        case .up:
            // Every other -ERR (stale connection, slow consumer, parser error, authorization
            // revoked, ...) is followed by the server closing the connection: replace it now.
            linkLost("server error: \(text)")
        case .down, .resolving, .dialing:
            break
        }
    }

    static func isAuthorizationError(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("authorization") || lower.contains("authentication")
    }

    // MARK: Losing and replacing the connection

    /// The established connection is gone: reconnect.
    func linkLost(_ reason: String) {
        guard case .up(_, let endpoint) = link else { return }
        let lasted = loop.nowMilliseconds &- linkUpSince
        log("lost the connection to \(Self.address(of: endpoint)): \(reason)")
        let flushFailures = dropLink()
        defer { for failure in flushFailures { failure() } }
        // A connection that dies young does not reset the back-off, so a server that accepts
        // and then drops us at once is not hammered.
        let stableMilliseconds = UInt64(max(1000, configuration.reconnectMaxDelay.wholeMilliseconds))
        backoffLevel = lasted >= stableMilliseconds ? 0 : backoffLevel + 1
        beginReconnect(after: endpoint)
    }

    /// The server is leaving (lame-duck mode): move to another server now rather than wait to
    /// be cut off. With no other server known, stay until the server closes the connection.
    private func serverEntersLameDuckMode(_ endpoint: NATSEndpoint) {
        log("\(Self.address(of: endpoint)) entered lame-duck mode")
        guard pool.hasAlternative(to: endpoint) else { return }
        let flushFailures = dropLink()
        backoffLevel = 0
        beginReconnect(after: endpoint)
        for failure in flushFailures { failure() }
    }

    private func beginReconnect(after endpoint: NATSEndpoint) {
        lastEndpoint = endpoint
        if configuration.maxReconnectAttempts == 0 {
            return shutDown(failing: BusError(.connectionFailed("the connection to \(Self.address(of: endpoint)) was lost and reconnecting is off")))
        }
        setLifecycle(.reconnecting(attempt: 1))
        guard case .reconnecting = lifecycle else { return }
        scheduleRound()
    }

    /// Detaches and closes the current connection (if any) and forgets what was in flight on
    /// it. Subscriptions, pending requests and held publishes stay for the next connection.
    /// - Returns: the failures of flushes that waited on the connection, for the caller to
    ///   run once its state is consistent.
    func dropLink(failing error: BusError = BusError(.connectionFailed("the connection was lost before the server answered"))) -> [() -> Void] {
        switch link {
        case .awaitingInfo(let connection, _), .awaitingPong(let connection, _), .up(let connection, _):
            retire(connection)
        case .resolving(_, let resolution):
            // Its completion will not run, so nothing of the old attempt can come back.
            resolution.cancel()
        case .down, .dialing:
            break
        }
        link = .down
        linkGeneration &+= 1
        linkTimer?.cancel()
        keepaliveTimer?.cancel()
        pingsOutstanding = 0
        return takePongWaiters(failing: error)
    }

    /// Closes a connection we no longer use; `close()` waits for it.
    func retire(_ connection: TCPConnection) {
        connection.onRead = nil
        connection.onClose = nil
        connection.onWritabilityChanged = nil
        retiringConnections += 1
        connection.close { [self] in
            retiringConnections -= 1
            finishClosingIfDone()
        }
    }

    // MARK: Helpers

    /// The connection, if there is one past the TCP connect.
    var currentConnection: TCPConnection? {
        switch link {
        case .awaitingInfo(let connection, _), .awaitingPong(let connection, _), .up(let connection, _): connection
        case .down, .resolving, .dialing: nil
        }
    }

    var currentAddress: String? {
        switch link {
        case .resolving(let endpoint, _), .dialing(let endpoint, _), .awaitingInfo(_, let endpoint),
             .awaitingPong(_, let endpoint), .up(_, let endpoint):
            Self.address(of: endpoint)
        case .down:
            nil
        }
    }

    private var knownServersText: String {
        pool.endpoints.map(NATSServerPool.identity).joined(separator: ", ")
    }
}
