import Foundation

/// One running agent, as ``Oaas/listAgents()`` reports it (the design's `list_agents` entry,
/// plus activity counters). Any thread (a value).
public struct AgentInfo: Sendable, Equatable {
    /// Where the agent is in its life.
    public enum State: String, Sendable, Equatable {
        /// Serving its keys.
        case serving
        /// `stopAgent` is draining it: no new calls, in-flight ones finishing.
        case stopping
    }

    /// The agents' link to the message bus when listed: whether calls can reach the agent.
    public enum BusLink: Sendable, Equatable, CustomStringConvertible {
        /// The in-process bus: always up.
        case embedded
        /// Connected to a NATS server.
        case connected
        /// The NATS connection is lost and being re-established (`attempt` counts the rounds
        /// over the server list, from 1); calls do not reach the agent meanwhile.
        case reconnecting(attempt: Int)
        /// The NATS client gave up reconnecting or was closed (or the agents' bus is being
        /// torn down): calls no longer reach the agent.
        case closed

        public var description: String {
            switch self {
            case .embedded: "embedded"
            case .connected: "connected"
            case .reconnecting(let attempt): "reconnecting (attempt \(attempt))"
            case .closed: "closed"
            }
        }
    }

    /// The agent id: `package.Name` or `package.Name:objectId`.
    public let agentID: String
    /// The service name, e.g. `Calculator`.
    public let serviceName: String
    /// The package, e.g. `math`.
    public let package: String
    /// The class id, `package.Name`.
    public let classID: String
    /// The object it serves; `nil` for a class-wide agent, which serves every object.
    public let objectID: String?
    /// The partition it serves.
    public let partitionID: UInt32
    /// When it started (wall clock).
    public let startedAt: Date
    /// How long it has been running.
    public let runningDuration: Duration
    /// Calls answered so far (successes and errors).
    public let callsServed: Int
    /// Calls answered with a status other than OKAY.
    public let callsFailed: Int
    /// Calls received and not yet answered.
    public let callsInFlight: Int
    /// The most recent error answered or met, if any.
    public let lastError: String?
    /// The bus keys it serves.
    public let keys: [String]
    /// Serving or stopping.
    public let state: State
    /// Whether the bus it listens on is up: the embedded bus always is; a NATS connection may
    /// be reconnecting.
    public let busLink: BusLink

    /// `started_at` as the Python SDK prints it: ISO 8601, local time, no zone.
    public var startedAtISO: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"
        return formatter.string(from: startedAt)
    }
}
