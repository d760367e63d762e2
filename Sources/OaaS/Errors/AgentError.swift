/// An agent management call failed (the design's `AgentError`). Any thread.
public struct AgentError: OaasError, Equatable {
    /// Why.
    public enum Reason: Sendable, Equatable {
        /// The class is not a registered service.
        case notRegistered(serviceName: String)
        /// An agent with this id is already running (or starting, or stopping).
        case alreadyRunning(agentID: String)
        /// No agent with this id is running.
        case notRunning(agentID: String)
        /// `stopAgent` was given neither an agent id nor a service.
        case missingTarget
        /// The agent could not start (bus unreachable, credentials refused, a key refused...);
        /// nothing of it keeps running.
        case startFailed(agentID: String, cause: String)
        /// The agent could not stop cleanly.
        case stopFailed(agentID: String, cause: String)
    }

    /// Why the call failed.
    public let reason: Reason

    /// Makes the error for `reason`.
    public init(_ reason: Reason) { self.reason = reason }

    public var code: String {
        switch reason {
        case .notRegistered: "AGENT_SERVICE_NOT_REGISTERED"
        case .alreadyRunning: "AGENT_ALREADY_RUNNING"
        case .notRunning: "AGENT_NOT_RUNNING"
        case .missingTarget: "AGENT_TARGET_MISSING"
        case .startFailed: "AGENT_START_FAILED"
        case .stopFailed: "AGENT_STOP_FAILED"
        }
    }

    /// The design's texts: "Service class <Name> not registered with @oaas.service",
    /// "Agent <id> is already running", "Agent <id> is not running", "Either agent_id or
    /// service_class must be provided", "Failed to start agent <id>: <cause>", "Failed to stop
    /// agent <id>: <cause>".
    public var message: String {
        switch reason {
        case .notRegistered(let name): "Service class \(name) not registered with @oaas.service"
        case .alreadyRunning(let id): "Agent \(id) is already running"
        case .notRunning(let id): "Agent \(id) is not running"
        case .missingTarget: "Either agent_id or service_class must be provided"
        case .startFailed(let id, let cause): "Failed to start agent \(id): \(cause)"
        case .stopFailed(let id, let cause): "Failed to stop agent \(id): \(cause)"
        }
    }
}
