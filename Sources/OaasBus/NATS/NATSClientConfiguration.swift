/// How a ``NATSClient`` reaches and talks to its NATS servers. Any thread (a plain value).
///
/// Hosts may be IP literals, `localhost` or names; names (configured or announced in
/// `connect_urls`) are resolved on every attempt to reach the server, without blocking the loop.
public struct NATSClientConfiguration: Sendable {
    /// The servers, as a comma-separated list of URLs:
    /// `nats://[user:password@|token@]host[:port][,...]`. A bare `host:port` is accepted too.
    public var servers: String
    /// A token for every server; overrides a token in the URLs.
    public var token: String?
    /// A user name for every server; overrides one in the URLs (with ``password``).
    public var user: String?
    /// The password that goes with ``user``; overrides one in the URLs.
    public var password: String?
    /// The client name sent in CONNECT, shown by the server's monitoring.
    public var name: String?
    /// The queue group every ``NATSClient/serve(key:handler:ready:)`` joins, so that the
    /// servers of one key share its requests.
    public var queueGroup: String = "oaas"
    /// How long one server may take to have its name resolved, then each of its addresses to
    /// accept the TCP connection, and again to complete the NATS handshake (INFO, then CONNECT
    /// and PING answered by PONG).
    public var connectTimeout: Duration = .seconds(2)
    /// How often the client pings the server to find a dead connection.
    public var pingInterval: Duration = .seconds(20)
    /// Unanswered pings tolerated: at the next interval with this many still outstanding, the
    /// connection is taken for stale and the client reconnects.
    public var maxPingsOutstanding = 2
    /// The pause before the second round of reconnect attempts; each further round doubles it,
    /// up to ``reconnectMaxDelay``. Every pause is jittered (uniform in its upper half).
    public var reconnectBaseDelay: Duration = .milliseconds(50)
    /// The longest pause between two rounds of reconnect attempts.
    public var reconnectMaxDelay: Duration = .seconds(2)
    /// Rounds over the server list after a lost connection before the client gives up and
    /// closes; `nil` retries forever.
    public var maxReconnectAttempts: Int? = nil
    /// Bytes of publishes (requests and replies) held while disconnected, sent after the
    /// reconnect. A request that would pass the limit fails at once.
    public var reconnectBufferBytes = 8 << 20

    /// A configuration for `servers` with every other setting at its default.
    public init(servers: String) {
        self.servers = servers
    }
}
