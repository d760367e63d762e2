import OaasLoop

/// A NATS client on the event loop: the ``Bus`` agents use when the platform runs a real
/// message bus.
///
/// One TCP connection at a time, driven by the loop with no threads of its own: serving a key
/// is a queue-group subscription on the key's subject (``BusKey/subject(forKey:)``), and a
/// request is a publish whose reply comes back on the client's one wildcard inbox subscription.
/// A lost connection (closed socket, broken protocol, a fatal `-ERR`, unanswered pings, or the
/// server entering lame-duck mode) is replaced: the client goes round its servers (configured
/// and announced) with jittered exponential back-off, then subscribes every served key again
/// and sends the publishes it held meanwhile. Requests keep their own timeouts throughout.
///
/// Hosts are IP literals, `localhost`, or names (`nats://nats:4222`, as in Kubernetes). A name
/// is resolved afresh on every attempt to reach its server, on libuv's thread pool so the loop
/// never waits (``OaasLoop/EventLoop/resolve(host:port:timeout:completion:)``), and each of its
/// addresses is tried in turn before the next server; a name that does not resolve is a failed
/// attempt like a refused connection.
///
/// Loop-confined: make it on any thread, then call every other member on ``loop``'s thread;
/// callbacks run there too. Completions of calls that fail at once (closed client, payload too
/// large, ...) run before the call returns.
public final class NATSClient: Bus {
    /// The loop the client runs on. Any thread.
    public let loop: EventLoop
    /// The configuration the client was made with. Any thread.
    public let configuration: NATSClientConfiguration

    /// Called with each new ``state``, for logs. Loop thread only.
    public var onStateChange: ((NATSClientState) -> Void)?
    /// Called with a line for each event worth a log entry: a lost connection, a server's
    /// `-ERR`, a dropped reply, a failed connection attempt. Loop thread only.
    public var onLog: ((String) -> Void)?

    // Everything below is loop-confined state shared by the `NATSClient+*.swift` extensions.

    var lifecycle: Lifecycle = .idle
    var link: Link = .down
    /// Bumped whenever `link` is replaced, so that callbacks of an older connection are ignored.
    var linkGeneration: UInt64 = 0
    /// Whether a TCP connect is outstanding (it cannot be cancelled; `close()` waits for it).
    /// A name lookup needs no such count: cancelling it guarantees its completion never runs.
    var dialInFlight = false
    /// The current connection's parser; a fresh one for each connection. Only `didRead`
    /// touches it, and nothing it calls replaces it (a new connection is set up from a later
    /// callback), so the parse never overlaps another access.
    var parser = NATSParser()
    var pool: NATSServerPool
    var round = ConnectRound()
    /// The server the last connection went to; reconnect rounds start after it.
    var lastEndpoint: NATSEndpoint?
    /// The back-off step of the next reconnect round.
    var backoffLevel = 0
    /// When (loop clock, ms) the current connection completed its handshake.
    var linkUpSince: UInt64 = 0
    var serverInfo: NATSServerInfo?
    var serverAddress: String?
    var connectCompletions: [(Result<Void, BusError>) -> Void] = []
    var shutdownHookInstalled = false

    var nextSid: UInt64 = 1
    var served: [UInt64: ServedKey] = [:]

    let inbox = NATSInbox()
    var inboxSid: UInt64?
    /// Set when the server refused the inbox subscription: no reply can ever arrive.
    var inboxRefusal: BusError?
    var nextToken: UInt64 = 1
    var pending: [UInt64: PendingRequest] = [:]
    var deadlines = NATSDeadlineQueue()
    var deadlineTimer: LoopTimer?
    /// The deadline `deadlineTimer` is set for, if it is set.
    var armedDeadline: UInt64?

    /// What each PING in flight is for, oldest first: the server answers PINGs in order.
    var pongWaiters: [PongWaiter] = []
    var pongWaiterHead = 0
    var pingsOutstanding = 0
    var keepaliveTimer: LoopTimer?
    /// The handshake's timeout, or the pause before a reconnect round (never both at once).
    var linkTimer: LoopTimer?

    /// Every command is encoded here, then handed to the connection in one write.
    var scratch: [UInt8] = []
    var held = HeldPublishes()

    var closeCompletions: [() -> Void] = []
    var retiringConnections = 0
    var closingTimers = 0

    var stats = NATSClientStatistics()

    /// Makes a client; no I/O happens until ``connect(completion:)``.
    ///
    /// - Throws: ``BusError`` `.connectionFailed` for a server list that does not parse or a
    ///   configuration value out of range. Host names are not looked up here: a name that does
    ///   not resolve fails ``connect(completion:)``, which reports why.
    /// Any thread.
    public init(loop: EventLoop, configuration: NATSClientConfiguration) throws(BusError) {
        var endpoints: [NATSEndpoint]
        do {
            endpoints = try NATSEndpoint.parseList(configuration.servers)
        } catch {
            throw BusError(.connectionFailed("invalid server list: \(error)"))
        }
        guard !endpoints.isEmpty else { throw BusError(.connectionFailed("the server list '\(configuration.servers)' is empty")) }
        for index in endpoints.indices {
            if let token = configuration.token { endpoints[index].token = token }
            if let user = configuration.user {
                endpoints[index].user = user
                endpoints[index].password = configuration.password
            } else if let password = configuration.password {
                endpoints[index].password = password
            }
        }
        if let problem = Self.problem(in: configuration) {
            throw BusError(.connectionFailed("invalid configuration: \(problem)"))
        }
        self.loop = loop
        self.configuration = configuration
        pool = NATSServerPool(configured: endpoints)
    }

    private static func problem(in configuration: NATSClientConfiguration) -> String? {
        if configuration.connectTimeout <= .zero { return "connectTimeout must be positive" }
        if configuration.pingInterval <= .zero { return "pingInterval must be positive" }
        if configuration.maxPingsOutstanding < 1 { return "maxPingsOutstanding must be at least 1" }
        if configuration.reconnectBaseDelay < .zero || configuration.reconnectMaxDelay < .zero { return "reconnect delays cannot be negative" }
        if let attempts = configuration.maxReconnectAttempts, attempts < 0 { return "maxReconnectAttempts cannot be negative" }
        if configuration.reconnectBufferBytes < 0 { return "reconnectBufferBytes cannot be negative" }
        let group = configuration.queueGroup
        if group.isEmpty || group.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return "queueGroup '\(group)' must be a non-empty NATS token without spaces"
        }
        return nil
    }

    /// Where the client is in its life. Loop thread only.
    public var state: NATSClientState {
        loop.preconditionInLoop()
        return publicState
    }

    /// The client's counters. Loop thread only.
    public var statistics: NATSClientStatistics {
        loop.preconditionInLoop()
        return stats
    }

    /// The server of the current connection, or of the last one while reconnecting; `nil`
    /// before the first handshake. Loop thread only.
    public var connectedServer: NATSConnectedServer? {
        loop.preconditionInLoop()
        guard let serverInfo, let serverAddress else { return nil }
        return NATSConnectedServer(address: serverAddress, serverID: serverInfo.serverID, serverName: serverInfo.serverName,
                                   version: serverInfo.version, maxPayload: serverInfo.maxPayload)
    }

    /// `host:port` of every server the client may connect to: the configured ones, then those
    /// the servers announced. Loop thread only.
    public var knownServers: [String] {
        loop.preconditionInLoop()
        return pool.endpoints.map(NATSServerPool.identity)
    }

    /// The subject prefix of this client's reply inbox (`_INBOX.<random>`); replies go to
    /// `<prefix>.<token>`. For diagnostics and tests. Loop thread only.
    public var inboxPrefix: String {
        loop.preconditionInLoop()
        return inbox.base
    }

    var publicState: NATSClientState {
        switch lifecycle {
        case .idle: .idle
        case .connecting: .connecting
        case .connected: .connected
        case .reconnecting(let attempt): .reconnecting(attempt: attempt)
        case .closing, .closed: .closed
        }
    }

    /// Moves the lifecycle on and tells ``onStateChange`` when the public state changed. The
    /// callback may call back into the client: callers re-check the lifecycle afterwards.
    func setLifecycle(_ next: Lifecycle) {
        let before = publicState
        lifecycle = next
        let after = publicState
        if before != after { onStateChange?(after) }
    }

    /// Sends a line to ``onLog``; the text is built only when someone listens.
    func log(_ message: @autoclosure () -> String) {
        onLog?(message())
    }

    /// A fresh, stopped timer (timers are made on first use, on the loop thread, so that
    /// `init` may run anywhere).
    func makeTimer() -> LoopTimer {
        LoopTimer(loop: loop)
    }

    static func address(of endpoint: NATSEndpoint) -> String {
        NATSServerPool.identity(endpoint)
    }
}
