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
