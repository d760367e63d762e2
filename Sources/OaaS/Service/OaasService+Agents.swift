import OaasLoop

/// The design's object conveniences for agents.
extension OaasService {
    /// Starts an agent for this class; see ``Oaas/startAgent(_:objectId:partitionId:loop:)``.
    @discardableResult
    public static func startAgent(objectId: String? = nil, partitionId: UInt32? = nil, loop: EventLoop? = nil) async throws(AgentError) -> String {
        try await oaas.startAgent(Self.self, objectId: objectId, partitionId: partitionId, loop: loop)
    }

    /// Stops this class's agent for `objectId`; see ``Oaas/stopAgent(_:objectId:)``.
    public static func stopAgent(objectId: String? = nil) async throws(AgentError) {
        try await oaas.stopAgent(Self.self, objectId: objectId)
    }

    /// Starts an agent for the object this instance is (its id and its partition, unlike the
    /// Python SDK, which uses the default partition).
    /// - Throws: ``AgentError`` "Failed to start agent …" for an instance not bound to an
    ///   object (made with `init()` outside a call).
    /// The thread running the call that holds this instance.
    @discardableResult
    public func startInstanceAgent(loop: EventLoop? = nil) async throws(AgentError) -> String {
        guard let identity else {
            throw AgentError(.startFailed(agentID: Self.serviceDefinition.classID,
                                          cause: "this instance is not bound to an object; use \(Self.self).startAgent(objectId:)"))
        }
        return try await oaas.startAgent(Self.self, objectId: identity.objectID, partitionId: identity.partitionID, loop: loop)
    }

    /// Stops the agent of the object this instance is.
    /// - Throws: ``AgentError`` "Agent … is not running" (also for an unbound instance).
    public func stopInstanceAgent() async throws(AgentError) {
        guard let identity else {
            throw AgentError(.notRunning(agentID: Self.serviceDefinition.classID + ":<unbound instance>"))
        }
        try await oaas.stopAgent(Self.self, objectId: identity.objectID)
    }
}
