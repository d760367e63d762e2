/// The server's status, as ``Oaas/serverInfo`` reports it (the design's `get_server_info`).
/// Any thread (a value).
public struct ServerInfo: Sendable, Equatable {
    /// Whether a server is running.
    public var running: Bool
    /// The port really bound (after a request for port 0, the one the system picked); `nil`
    /// when stopped or in mock mode, where nothing binds.
    public var port: Int?
    /// Whether calls run on the asynchronous handler; `nil` when stopped.
    public var asyncMode: Bool?
    /// Whether the runtime is configured for mock mode.
    public var mockMode: Bool
    /// How many services are registered.
    public var registeredServices: Int
    /// Time since the server started; `nil` when stopped.
    public var uptime: Duration?
    /// Calls accepted and not yet answered.
    public var callsInFlight: Int

    /// Makes a status report.
    public init(running: Bool, port: Int?, asyncMode: Bool?, mockMode: Bool, registeredServices: Int,
                uptime: Duration?, callsInFlight: Int) {
        self.running = running
        self.port = port
        self.asyncMode = asyncMode
        self.mockMode = mockMode
        self.registeredServices = registeredServices
        self.uptime = uptime
        self.callsInFlight = callsInFlight
    }
}
