import OaasHTTP2
import OaasLoop

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// A gRPC server (h2c, prior knowledge) on an event loop.
///
/// Register methods by path, `start()`, and later `shutdown()`, which drains: health turns
/// NOT_SERVING, each connection gets a shutdown notice and then a final GOAWAY, calls in flight
/// finish until `drainGracePeriod`, and new calls meanwhile get `UNAVAILABLE`.
///
/// Loop-confined: create and use the server on its loop's thread.
public final class GRPCServer {
    /// Where the server is in its life.
    public enum State: Sendable, Equatable {
        case idle
        case running
        case draining
        case stopped
    }

    public let loop: EventLoop
    public let configuration: GRPCServerConfiguration
    @exclusivity(unchecked) public private(set) var state = State.idle
    /// Counters since start.
    @exclusivity(unchecked) public private(set) var stats = GRPCServerStats()
    /// The health service's statuses (served when `enableHealthService()` was called).
    public let health: GRPCHealthStatus

    @exclusivity(unchecked) private var routes: [GRPCRoute] = []
    @exclusivity(unchecked) private var listener: TCPListener?
    @exclusivity(unchecked) private var connections: [ObjectIdentifier: GRPCServerConnection] = [:]
    @exclusivity(unchecked) private var sweepTimer: LoopTimer?
    @exclusivity(unchecked) private var drainDeadlineTimer: LoopTimer?
    @exclusivity(unchecked) private var stopCompletions: [() -> Void] = []

    /// Creates a stopped server. Loop thread only.
    public init(loop: EventLoop, configuration: GRPCServerConfiguration = GRPCServerConfiguration()) {
        loop.preconditionInLoop()
        self.loop = loop
        self.configuration = configuration
        self.health = GRPCHealthStatus()
    }

    /// Serves `path` (`/package.Service/Method`) with `method`. Loop thread only.
    public func register(_ path: String, _ method: GRPCMethod) {
        loop.preconditionInLoop()
        routes.removeAll { $0.path == path }
        routes.append(GRPCRoute(path: path, method: method))
    }

    /// The registered service names (`package.Service`), sorted.
    public var serviceNames: [String] {
        Set(routes.compactMap { route in route.path.split(separator: "/").first.map(String.init) }).sorted()
    }

    /// The route whose path is exactly `pathBytes`. A linear scan: servers have few methods,
    /// and a length check plus `memcmp` beats hashing a String made for the purpose.
    func route(matching pathBytes: UnsafeRawBufferPointer) -> GRPCRoute? {
        for route in routes where pathBytes.equals(route.pathBytes) { return route }
        return nil
    }

    /// The port really bound (useful with port 0); 0 before `start()`.
    public var port: Int { listener?.port ?? 0 }

    /// Calls in flight across all connections.
    public var callsInFlight: Int { connections.values.reduce(0) { $0 + $1.calls.count } }
    /// Open connections.
    public var connectionCount: Int { connections.count }

    /// Binds and starts accepting connections.
    /// - Throws: `LoopError` (address in use, bad address...), or `.wrongState` if the server
    ///   was already started.
    /// Loop thread only.
    public func start() throws(LoopError) {
        loop.preconditionInLoop()
        guard state == .idle else {
            throw LoopError(code: .wrongState, name: "WRONG_STATE",
                            message: "the server was already started (state \(state))", operation: "start gRPC server")
        }
        listener = try TCPListener.listen(loop: loop, host: configuration.host, port: configuration.port) { [self] tcp in
            accepted(tcp)
        }
        state = .running
        for service in serviceNames { health.set(service, .serving) }
        health.set("", .serving)
        let timer = LoopTimer(loop: loop)
        timer.keepsLoopAlive = false
        timer.start(after: .seconds(1), repeating: .seconds(1)) { [self] in sweep() }
        sweepTimer = timer
    }

    private func accepted(_ tcp: TCPConnection) {
        guard state == .running else { return tcp.close() }
        if connections.count >= configuration.maxConnections {
            stats.connectionsRefused += 1
            return refuse(tcp)
        }
        let connection: GRPCServerConnection
        do {
            connection = try GRPCServerConnection(server: self, tcp: tcp)
        } catch {
            stats.protocolErrors += 1
            return tcp.close()
        }
        stats.connectionsAccepted += 1
        connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }

    /// Over the connection limit: our SETTINGS and a GOAWAY that processes no stream (so the
    /// client may retry elsewhere), then close.
    private func refuse(_ tcp: TCPConnection) {
        guard let session = try? HTTP2Session(role: .server, settings: configuration.http2) else { return tcp.close() }
        session.goAway(code: .noError, lastStreamID: 0, debugData: "too many connections")
        try? session.drainOutput { chunk in (try? tcp.write(chunk)) != nil }
        tcp.shutdownWrite { _ in tcp.close() }
    }

    func connectionDidClose(_ connection: GRPCServerConnection) {
        connections[ObjectIdentifier(connection)] = nil
        if state == .draining, connections.isEmpty { finishStop() }
    }

    private func sweep() {
        let now = loop.nowMilliseconds
        for connection in connections.values { connection.tick(now: now) }
    }

    // MARK: Shutdown

    var isDraining: Bool { state == .draining }

    /// Stops gracefully: health NOT_SERVING, no new connections, two-step GOAWAY, in-flight
    /// calls finish until the drain grace period, then connections are closed.
    /// - Parameter completion: runs on the loop thread once every connection is closed.
    /// Loop thread only; calling again only adds the completion.
    public func shutdown(completion: (() -> Void)? = nil) {
        loop.preconditionInLoop()
        if let completion { stopCompletions.append(completion) }
        switch state {
        case .idle:
            state = .stopped
            return finishStop()
        case .draining:
            return
        case .stopped:
            return finishStop()
        case .running:
            break
        }
        state = .draining
        health.enterDrain()
        listener?.close()
        listener = nil
        for connection in connections.values { connection.beginDrain() }
        drainDeadlineTimer = loop.schedule(after: configuration.drainGracePeriod) { [self] in
            drainDeadlineTimer = nil
            for connection in connections.values { connection.forceClose() }
        }
        if connections.isEmpty { finishStop() }
    }

    private func finishStop() {
        state = .stopped
        sweepTimer?.close()
        sweepTimer = nil
        drainDeadlineTimer?.close()
        drainDeadlineTimer = nil
        health.closeWatchers()
        let completions = stopCompletions
        stopCompletions = []
        for completion in completions { completion() }
    }

    // MARK: Accounting

    func record(_ code: GRPCStatus.Code) { stats.statusCounts[code.rawValue] += 1 }
    func callStarted() { stats.callsStarted += 1 }
    func recordProtocolError() { stats.protocolErrors += 1 }
    func recordFlood() { stats.floodsDetected += 1 }
    func recordHTTPRejection() { stats.httpRejections += 1 }
}
