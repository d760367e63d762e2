import OaasLoop

/// The engine object of the older API (the Python SDK's `Oparaca`), kept so code written
/// against it keeps working: its server calls are the runtime's.
///
/// Obtain it with ``getGlobalOaas()``. Any thread, except that ``stopServer()`` blocks and so
/// refuses the server's own loop thread.
public final class Oparaca: Sendable {
    let runtime: Oaas

    init(runtime: Oaas) { self.runtime = runtime }

    /// Starts the gRPC server (the older `start_grpc_server`); see ``Oaas/startServer(port:loop:asyncMode:)``.
    public func startGRPCServer(port: Int = 8080, loop: EventLoop? = nil) throws(ServerError) {
        try runtime.startServer(port: port, loop: loop)
    }

    /// Stops the gRPC server; see ``Oaas/stopServer()``.
    public func stopServer() throws(ServerError) {
        try runtime.stopServer()
    }

    /// Starts an agent for object `objectId` of `service` (the older `run_agent`); the same
    /// agent as ``Oaas/startAgent(_:objectId:partitionId:loop:)`` starts, listed by
    /// ``Oaas/listAgents()``.
    /// - Returns: the agent id.
    @discardableResult
    public func runAgent<Service: OaasService>(loop: EventLoop? = nil, service: Service.Type, objectId: String? = nil,
                                               partitionId: UInt32? = nil) async throws(AgentError) -> String {
        try await runtime.startAgent(service, objectId: objectId, partitionId: partitionId, loop: loop)
    }

    /// Stops the agent of object `objectId` of `service` (the older `stop_agent`); see
    /// ``Oaas/stopAgent(_:)``.
    public func stopAgent<Service: OaasService>(service: Service.Type, objectId: String? = nil) async throws(AgentError) {
        try await runtime.stopAgent(service, objectId: objectId)
    }

    /// Whether the configuration asks for the asynchronous handler (`nil`: decided per start).
    public var asyncMode: Bool? { runtime.config.asyncMode }
    /// Whether the runtime is in mock mode.
    public var mockMode: Bool { runtime.config.mockMode }
    /// The configured default partition.
    public var defaultPartitionID: UInt32 { runtime.config.defaultPartition }
}

/// The global engine (the design's `get_global_oaas()`), for code written against the older
/// API. Any thread.
public func getGlobalOaas() -> Oparaca {
    Oparaca(runtime: .shared)
}
