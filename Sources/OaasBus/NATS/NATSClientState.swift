/// Where a ``NATSClient`` is in its life, as told to ``NATSClient/onStateChange``. Any thread.
public enum NATSClientState: Equatable, Sendable, CustomStringConvertible {
    /// Made, not yet asked to connect (or the first connect failed and may be tried again).
    case idle
    /// The first ``NATSClient/connect(completion:)`` is trying the servers.
    case connecting
    /// The handshake with a server is complete; requests and subscriptions flow.
    case connected
    /// The connection was lost; `attempt` counts the rounds over the server list so far,
    /// starting at 1. Publishes are held (up to the reconnect buffer) meanwhile.
    case reconnecting(attempt: Int)
    /// Closed by ``NATSClient/close(completion:)``, or after giving up reconnecting. Final.
    case closed

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .connected: "connected"
        case .reconnecting(let attempt): "reconnecting (attempt \(attempt))"
        case .closed: "closed"
        }
    }
}
