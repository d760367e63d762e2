import OaasHTTP2

/// Limits and timings of a gRPC server. Defaults are safe for a public endpoint.
///
/// Any thread (a plain value).
public struct GRPCServerConfiguration: Sendable {
    /// The address to listen on (an IP literal or `localhost`).
    public var host = "127.0.0.1"
    /// The port; 0 lets the kernel choose (read it back from `GRPCServer.port`).
    public var port = 0
    /// Largest request message accepted, after decompression; larger ones end the call with
    /// `RESOURCE_EXHAUSTED`.
    public var maxReceiveMessageBytes = 4 << 20
    /// Connections served at once; more are refused with GOAWAY and closed.
    public var maxConnections = 1_000
    /// HTTP/2 settings, including `maxConcurrentStreams` (per connection) and
    /// `maxHeaderListSize` (request headers larger than this end the call with
    /// `RESOURCE_EXHAUSTED`).
    public var http2 = HTTP2Settings()
    /// How long a graceful shutdown lets in-flight calls run before closing connections.
    public var drainGracePeriod: Duration = .seconds(5)
    /// Between the shutdown notice and the final GOAWAY, at most this long (normally the
    /// client's PING acknowledgement ends the wait sooner).
    public var goAwayNoticeDelay: Duration = .seconds(1)
    /// Send a PING after this long without hearing from a peer; nil turns keepalive off.
    public var keepaliveInterval: Duration? = .seconds(120)
    /// Close a connection whose keepalive PING is not acknowledged within this long.
    public var keepaliveTimeout: Duration = .seconds(20)
    /// Close a connection with no calls in flight after this long; nil keeps idle connections.
    public var maxConnectionIdle: Duration? = nil
    /// Flood limits (token buckets per connection: burst, then a steady rate per second).
    /// Passing one sends GOAWAY(ENHANCE_YOUR_CALM) and closes that connection.
    public var resetFloodLimit = FloodLimit(burst: 200, perSecond: 33)
    public var pingFloodLimit = FloodLimit(burst: 100, perSecond: 10)
    public var settingsFloodLimit = FloodLimit(burst: 50, perSecond: 5)

    public init() {}
}

/// A token bucket's shape: `burst` events at once, refilled at `perSecond`.
public struct FloodLimit: Sendable, Equatable {
    public var burst: Double
    public var perSecond: Double
    public init(burst: Double, perSecond: Double) {
        self.burst = burst
        self.perSecond = perSecond
    }
}

/// A token bucket on the loop's millisecond clock. Loop-confined value.
struct TokenBucket {
    let limit: FloodLimit
    private var tokens: Double
    private var lastRefill: UInt64

    init(_ limit: FloodLimit, now: UInt64) {
        self.limit = limit
        tokens = limit.burst
        lastRefill = now
    }

    /// Takes one token; false when the bucket is empty (the limit is passed).
    mutating func take(now: UInt64) -> Bool {
        if now > lastRefill {
            tokens = min(limit.burst, tokens + Double(now - lastRefill) * limit.perSecond / 1_000)
            lastRefill = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
