import Foundation
import Logging
import OaasGRPC
import OaasLoop
import OaasProto

/// The runtime's front door (the design's `oaas` object): configuration, service registration,
/// server management, in-process calls and metrics.
///
/// Use the global ``oaas``. Every member may be called from any thread unless it says
/// otherwise; state changes are serialized by a lock, and loop work is sent to the loop.
public final class Oaas: @unchecked Sendable {
    // @unchecked: mutable state lives in `state`, behind its lock; `registry` is thread-safe.

    /// The process-wide runtime; ``oaas`` is the same object.
    public static let shared = Oaas()

    let registry = ServiceRegistry()
    /// The runtime's own loop, shared by the server and the agents.
    let ownLoop = SharedOwnLoop()
    /// The running agents and the bus they use.
    let agents = AgentRuntime()
    private let state: LockedValue<State>

    private enum Lifecycle {
        case stopped
        case starting
        case running(RunningServer)
        case stopping(RunningServer)
    }

    private struct State {
        var config: OaasConfig
        /// An environment value that did not parse when the default configuration was read;
        /// reported by `startServer` until `configure` replaces the configuration.
        var configurationProblem: ConfigurationError?
        var store: any ObjectStore
        var lifecycle = Lifecycle.stopped
        /// The port the last server bound, which `restartServer()` reuses.
        var lastPort: Int?
        var logger: Logger
    }

    /// A runtime configured from the environment. Tests may make private runtimes; services
    /// normally use ``shared``.
    public init() {
        var problem: ConfigurationError?
        let config: OaasConfig
        do {
            config = try OaasConfig()
        } catch {
            problem = error
            config = try! OaasConfig(environment: [:])
        }
        state = LockedValue(State(config: config, configurationProblem: problem,
                                  store: config.store ?? InMemoryObjectStore(), logger: Self.makeLogger(config)))
        if config.store == nil, problem == nil {
            let (store, storeProblem) = openStore(config)
            state.withLock { state in
                state.store = store
                state.configurationProblem = storeProblem
            }
        }
    }

    private static func makeLogger(_ config: OaasConfig) -> Logger {
        var logger = Logger(label: "oaas")
        // swift-log has no "off": `critical` is silent for us, since the runtime never logs at it.
        logger.logLevel = config.debugLevel.loggerLevel ?? .critical
        return logger
    }

    // MARK: Configuration

    /// The store `config` asks for: its own ``OaasConfig/store``, else the one its
    /// ``OaasConfig/storeURL`` names, opened now (a file, a connection). A store that cannot
    /// be opened leaves an empty in-memory store in its place and the reason, which
    /// `startServer` and `startAgent` then report instead of serving without it.
    private func openStore(_ config: OaasConfig) -> (any ObjectStore, ConfigurationError?) {
        if let store = config.store { return (store, nil) }
        // Mock mode runs calls in-process against the in-memory store, as it always has.
        if config.mockMode { return (InMemoryObjectStore(), nil) }
        do {
            return (try openStore(config.storeURL, config: config), nil)
        } catch {
            return (InMemoryObjectStore(), ConfigurationError(setting: "storeURL", value: BusURLRedaction.redacted(config.storeURL),
                                                             expected: "a store that opens (\(error.message))"))
        }
    }

    /// Opens the store `url` names (see ``ObjectStores/open(_:config:readOnly:)``). A NATS
    /// store's connection runs on the runtime's own loop, the one its server and agents use
    /// by default, so their calls reach it without a thread hop; the loop stays up until the
    /// store is closed.
    /// - Throws: ``ObjectStoreOpenError`` naming the store and the cause.
    /// Blocks while it opens: any thread but a loop thread.
    public func openStore(_ url: String, config: OaasConfig? = nil) throws(ObjectStoreOpenError) -> any ObjectStore {
        let config = config ?? self.config
        guard case .natsKV? = try? StoreURL.parse(url) else {
            return try ObjectStores.open(url, config: config)
        }
        let loop: EventLoop
        do {
            loop = try ownLoop.acquire()
        } catch {
            throw ObjectStoreOpenError(store: BusURLRedaction.redacted(url), cause: "cannot start the runtime's loop: \(error)")
        }
        let ownLoop = self.ownLoop
        return try ObjectStores.open(url, config: config, readOnly: false,
                                     loop: StoreLoop(loop: loop, release: { await ownLoop.release(loop) },
                                                     releaseNow: { ownLoop.releaseInBackground(loop) }))
    }

    /// Replaces the configuration (the design's `oaas.configure`). The object store is
    /// replaced too: `config.store`, or the store `config.storeURL` names (a new empty
    /// in-memory store for `memory`; a durable one is opened now, blocking while it opens,
    /// and a second configure naming the same file shares it). A running server keeps the
    /// settings and store it started with until it is restarted.
    /// Any thread but a loop thread (opening a store may wait for it).
    public func configure(_ config: OaasConfig) {
        let (store, storeProblem) = openStore(config)
        state.withLock { state in
            state.config = config
            state.configurationProblem = storeProblem
            state.store = store
            state.logger = Self.makeLogger(config)
        }
        // A bus with no agents on it is dropped, so the next agent or bus call uses the new
        // settings and store; running agents keep theirs (as the Python SDK keeps them).
        if let host = agents.detachIdleHost() {
            Task { await self.close(host) }
        }
    }

    /// The current configuration.
    public var config: OaasConfig { state.withLock { $0.config } }

    /// The object store the next server (or the running one, if not reconfigured since) uses.
    public var store: any ObjectStore { state.withLock { $0.store } }

    var logger: Logger { state.withLock { $0.logger } }

    /// An environment value that did not parse when the default configuration was read.
    var configurationProblem: ConfigurationError? { state.withLock { $0.configurationProblem } }

    // MARK: Services

    /// Registers a service so the server (and agents) can serve it. Registering a class id
    /// again replaces the earlier service, as in the Python SDK.
    /// - Throws: ``RegistrationError`` for an empty name or one containing `/`.
    public func register<Service: OaasService>(_ type: Service.Type) throws(RegistrationError) {
        let service = try registry.register(type)
        logger.debug("registered service", metadata: ["cls": "\(service.classID)", "methods": "\(service.methodOrder)"])
    }

    /// The class ids of the registered services, sorted.
    public var registeredServices: [String] { registry.all.map(\.classID) }

    /// Whether `type` is registered (under its class id, as this type).
    public func isRegistered<Service: OaasService>(_ type: Service.Type) -> Bool {
        registry.isRegistered(type)
    }

    /// The persisted field names of the service `classID`, in declaration order (field `i`
    /// is stored as entry `"i"`), or `nil` if no such service is registered.
    public func persistedFields(of classID: String) -> [String]? {
        registry.lookup(classID)?.persistedFields
    }

    /// Calls, errors and latency per method of the service `classID`, or `nil` if unknown.
    public func metrics(for classID: String) -> ServiceMetrics? {
        registry.lookup(classID)?.metrics
    }

    /// Zeroes the metrics of one service, or of all when `classID` is `nil`.
    public func resetMetrics(for classID: String? = nil) {
        let services = classID.map { registry.lookup($0).map { [$0] } ?? [] } ?? registry.all
        for service in services {
            for method in service.methods.values { method.metrics.reset() }
        }
    }

    // MARK: Server

    /// Starts the gRPC server for every registered service (the design's `start_server`).
    ///
    /// - Parameters:
    ///   - port: the port; `nil` means the configured one (`HTTP_PORT`, default 8080); 0
    ///     picks a free port (see ``serverInfo``).
    ///   - loop: a loop to serve on. With one, calls run on the ``AsyncInvocationHandler`` on
    ///     that loop; without, the runtime starts its own loop on its own thread and uses the
    ///     ``SyncInvocationHandler``.
    ///   - asyncMode: overrides that choice (and the configuration's `asyncMode`).
    /// - Throws: ``ServerError`` "gRPC server is already running", or "Failed to start gRPC
    ///   server: <cause>" (port taken, loop not running…), after which no server runs.
    /// Any thread; with a caller's loop that is not running on another thread, call it on the
    /// loop's own thread.
    public func startServer(port: Int? = nil, loop: EventLoop? = nil, asyncMode: Bool? = nil) throws(ServerError) {
        let claim: Result<(OaasConfig, any ObjectStore, Logger), ServerError> = state.withLock { state in
            guard case .stopped = state.lifecycle else { return .failure(ServerError(.alreadyRunning)) }
            if let problem = state.configurationProblem {
                return .failure(ServerError(.startFailed(cause: problem.message)))
            }
            state.lifecycle = .starting
            return .success((state.config, state.store, state.logger))
        }
        let (config, store, logger) = try claim.get()
        let requestedPort = port ?? config.serverPort
        let isAsync = asyncMode ?? config.asyncMode ?? (loop != nil)
        logger.info("Starting gRPC server on port \(requestedPort)",
                    metadata: ["async": "\(isAsync)", "mock": "\(config.mockMode)"])
        do {
            let server = try launch(port: requestedPort, loop: loop, isAsync: isAsync, config: config, store: store)
            state.withLock { state in
                state.lifecycle = .running(server)
                state.lastPort = server.port ?? requestedPort
            }
            if let bound = server.port {
                logger.info("gRPC server started on port \(bound)")
            } else {
                logger.info("gRPC server started in mock mode: nothing listens, calls run in-process")
            }
        } catch {
            state.withLock { $0.lifecycle = .stopped }
            logger.error("\(error.message)")
            throw error
        }
    }

    private func launch(port: Int, loop: EventLoop?, isAsync: Bool, config: OaasConfig,
                        store: any ObjectStore) throws(ServerError) -> RunningServer {
        if config.mockMode == false, !(0...65535).contains(port) {
            throw ServerError(.startFailed(cause: "port \(port) is outside 0...65535"))
        }
        let serverLoop: EventLoop
        do {
            serverLoop = try loop ?? ownLoop.acquire()
        } catch {
            throw ServerError(.startFailed(cause: "cannot start the server's event loop: \(error)"))
        }
        let ownsLoop = loop == nil
        let registry = self.registry
        let logger = self.logger
        do {
            return try LoopWait.run(on: serverLoop, timeout: .seconds(10)) { (complete: @escaping (Result<RunningServer, any Error>) -> Void) in
                complete(Result {
                    let engine = InvocationEngine(loop: serverLoop, strategy: isAsync ? .tasks : .inline, registry: registry,
                                                  store: store, maxPendingPerObject: config.maxPendingCallsPerObject,
                                                  maxCommitAttempts: config.maxCommitAttempts,
                                                  logger: logger)
                    if ownsLoop { self.ownLoop.register(engine, on: serverLoop) }
                    let handler: any InvocationHandler = isAsync
                        ? AsyncInvocationHandler(engine: engine) : SyncInvocationHandler(engine: engine)
                    var grpc: GRPCServer?
                    if !config.mockMode {
                        var settings = GRPCServerConfiguration()
                        settings.host = config.serverHost
                        settings.port = port
                        // Connections outlive the engine's drain, so the answers it gives at and
                        // after its deadline still reach the clients (see RunningServer.drain).
                        settings.drainGracePeriod = config.drainTimeout * 2 + config.goAwayNotice + .seconds(1)
                        settings.goAwayNoticeDelay = config.goAwayNotice
                        let server = GRPCServer(loop: serverLoop, configuration: settings)
                        OprcFunctionRoutes.register(on: server, engine: engine)
                        server.enableHealthService()
                        server.enableReflection()
                        try server.start()
                        grpc = server
                    }
                    return RunningServer(loop: serverLoop, ownsLoop: ownsLoop, handler: handler, engine: engine, grpc: grpc,
                                         port: grpc?.port, isAsync: isAsync, isMock: config.mockMode,
                                         drainTimeout: config.drainTimeout, goAwayNotice: config.goAwayNotice)
                })
            }
        } catch {
            if ownsLoop { ownLoop.release(serverLoop) }
            throw ServerError(.startFailed(cause: "\(error)"))
        }
    }

    /// Stops the server gracefully (the design's `stop_server`): no new calls, in-flight calls
    /// finish and commit (up to the configured drain timeout), then the port is released and,
    /// if the runtime made the loop, the loop ends. Blocks until done.
    /// - Throws: ``ServerError`` "gRPC server is not running"; or, when called on the server's
    ///   own loop thread (where it cannot wait), "Failed to stop gRPC server: …" with the
    ///   server left running: use `await stopServer()` there.
    /// Any thread but the server loop's.
    public func stopServer() throws(ServerError) {
        let server = try beginStop(blocking: true)
        let remaining: Int
        do {
            remaining = try LoopWait.run(on: server.loop, timeout: server.stopBudget + .seconds(5)) {
                (complete: @escaping (Result<Int, any Error>) -> Void) in
                server.drain { complete(.success($0)) }
            }
        } catch {
            // The loop did not report back (it is not running, or is blocked): it cannot be
            // ended from here without waiting on it, so it is left to stop once idle.
            if server.ownsLoop { ownLoop.releaseInBackground(server.loop) }
            finishStop(server)
            throw ServerError(.stopFailed(cause: "\(error)"))
        }
        if server.ownsLoop {
            if remaining > 0 {
                leaveRunning(server, running: remaining)
            } else {
                ownLoop.release(server.loop)
            }
        }
        finishStop(server)
    }

    /// Calls still run on the runtime's own loop after the whole stop budget: the loop stays up
    /// until they end, then stops itself (its thread is not joined).
    private func leaveRunning(_ server: RunningServer, running: Int) {
        logger.error("\(running) calls were still running after the drain; the server's loop stays up until they end")
        // Agents still on the runtime's loop keep it; the last user ends it once idle.
        ownLoop.releaseInBackground(server.loop)
    }

    /// Stops the server gracefully, suspending instead of blocking; see ``stopServer()``.
    /// Any thread or task, including one running on the server's loop.
    public func stopServer() async throws(ServerError) {
        let server = try beginStop(blocking: false)
        let remaining = await server.loop.awaitCompletion(orElse: 0) { finish in server.drain(completion: finish) }
        if server.ownsLoop {
            if remaining > 0 {
                leaveRunning(server, running: remaining)
            } else {
                await ownLoop.release(server.loop)
            }
        }
        finishStop(server)
    }

    private func beginStop(blocking: Bool) throws(ServerError) -> RunningServer {
        let claim: Result<RunningServer, ServerError> = state.withLock { state in
            guard case .running(let server) = state.lifecycle else { return .failure(ServerError(.notRunning)) }
            if blocking, server.loop.inLoop {
                return .failure(ServerError(.stopFailed(
                    cause: "stopServer() was called on the server's own loop thread, where it cannot wait for the drain; use `await oaas.stopServer()`")))
            }
            state.lifecycle = .stopping(server)
            return .success(server)
        }
        let server = try claim.get()
        logger.info("Stopping gRPC server")
        return server
    }

    private func finishStop(_ server: RunningServer) {
        state.withLock { $0.lifecycle = .stopped }
        logger.info("gRPC server stopped")
    }

    /// Stops the server if it runs, then starts it (the design's `restart_server`).
    /// - Parameter port: `nil` keeps the port the previous server bound (unlike the Python
    ///   SDK, which forgets it and falls back to 8080).
    /// - Throws: ``ServerError`` as `stopServer` and `startServer` do.
    /// Any thread but the server loop's.
    public func restartServer(port: Int? = nil, loop: EventLoop? = nil, asyncMode: Bool? = nil) throws(ServerError) {
        if isServerRunning { try stopServer() }
        let previous = state.withLock { $0.lastPort }
        try startServer(port: port ?? previous, loop: loop, asyncMode: asyncMode)
    }

    /// Whether a server is running (started and not yet stopping).
    public var isServerRunning: Bool {
        state.withLock { state in
            if case .running = state.lifecycle { return true }
            return false
        }
    }

    /// The server's status (the design's `get_server_info`).
    public var serverInfo: ServerInfo {
        let (server, mock) = state.withLock { state -> (RunningServer?, Bool) in
            switch state.lifecycle {
            case .running(let server): (server, state.config.mockMode)
            case .stopping, .stopped, .starting: (nil, state.config.mockMode)
            }
        }
        return ServerInfo(running: server != nil, port: server?.port, asyncMode: server?.isAsync,
                          mockMode: server?.isMock ?? mock, registeredServices: registry.count,
                          uptime: server.map { ContinuousClock.now - $0.startedAt },
                          callsInFlight: server?.handler.callsInFlight ?? 0)
    }

    // MARK: In-process calls

    /// Runs an `InvokeObj` call in-process on the running server's handler, with no socket:
    /// how mock mode serves calls, and how code beside the server calls objects cheaply.
    /// - Throws: ``ServerError`` "gRPC server is not running" when no server (mock or real)
    ///   runs.
    /// Any thread or task.
    public func invoke(_ request: Oprc_ObjectInvocationRequest) async throws(ServerError) -> Oprc_InvocationResponse {
        try await onHandler { handler, reply in handler.invokeObject(request, reply: reply) }
    }

    /// Runs an `InvokeFn` call in-process; see ``invoke(_:)-(Oprc_ObjectInvocationRequest)``.
    public func invoke(_ request: Oprc_InvocationRequest) async throws(ServerError) -> Oprc_InvocationResponse {
        try await onHandler { handler, reply in handler.invokeFunction(request, reply: reply) }
    }

    /// Calls `fn` on object `objectID` of class `classID` in-process.
    /// - Parameter partition: `nil` means the configured default partition.
    public func invoke(_ classID: String, objectID: String, function: String, payload: [UInt8] = [],
                       partition: UInt32? = nil) async throws(ServerError) -> Oprc_InvocationResponse {
        var request = Oprc_ObjectInvocationRequest()
        request.clsID = classID
        request.objectIDStr = objectID
        request.fnID = function
        request.partitionID = partition ?? config.defaultPartition
        request.payload = .init(payload)
        return try await invoke(request)
    }

    private func onHandler(
        _ body: @escaping (any InvocationHandler, @escaping (Oprc_InvocationResponse) -> Void) -> Void
    ) async throws(ServerError) -> Oprc_InvocationResponse {
        let server: RunningServer? = state.withLock { state in
            if case .running(let server) = state.lifecycle { return server }
            return nil
        }
        guard let server else { throw ServerError(.notRunning) }
        let outcome: Oprc_InvocationResponse? = await server.loop.awaitCompletion(orElse: nil) { finish in
            body(server.handler) { finish($0) }
        }
        guard let outcome else { throw ServerError(.notRunning) }
        return outcome
    }

    /// The running server's invocation handler (``SyncInvocationHandler`` or
    /// ``AsyncInvocationHandler``), for code that drives it directly; `nil` when no server runs.
    /// Use the handler only on its loop's thread (`handler.loop.execute { ... }`).
    public var runningHandler: (any InvocationHandler)? {
        state.withLock { state in
            if case .running(let server) = state.lifecycle { return server.handler }
            return nil
        }
    }

    // MARK: Shutdown

    /// Stops the server if it runs, forgets every registered service and returns to the
    /// configuration read from the environment (the design's `shutdown`). Any thread but the
    /// server loop's.
    public func shutdown() {
        if isServerRunning { try? stopServer() }
        registry.removeAll()
        let fresh = Oaas()
        state.withLock { state in
            let replacement = fresh.state.withLock { $0 }
            state.config = replacement.config
            state.configurationProblem = replacement.configurationProblem
            state.store = replacement.store
            state.logger = replacement.logger
            state.lastPort = nil
        }
    }
}

/// The process-wide runtime (the design's `oaas`): `oaas.configure(...)`,
/// `oaas.startServer(port: 8080)`, `oaas.stopServer()`.
public let oaas = Oaas.shared
