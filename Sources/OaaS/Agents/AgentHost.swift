import Logging
import OaasBus
import OaasLoop

/// Where agents run, and what bus calls go through: a loop, the invocation engine the agents'
/// calls run on, and the bus (connected on first use).
///
/// One per runtime at a time. The engine uses the runtime's object store, so agents and the
/// server see the same objects. Immutable members any thread; the bus only on ``loop``'s thread.
final class AgentHost: @unchecked Sendable {
    // @unchecked: `busState` is touched only on `loop`'s thread; the rest is immutable.
    let loop: EventLoop
    /// Whether `loop` is the runtime's shared own loop (released when the host closes).
    let ownsLoop: Bool
    let engine: InvocationEngine
    let config: OaasConfig
    private let logger: Logger

    private enum BusState {
        case none
        case connecting(waiters: [(Result<any Bus, BusError>) -> Void])
        case ready(any Bus)
        case closed
    }

    private var busState = BusState.none
    /// What ``AgentInfo/busLink`` shows; written on the loop thread, read from any.
    private let link = LockedValue<AgentInfo.BusLink>(.closed)
    /// A NATS client whose first connection failed, reused by the next attempt (a client
    /// registers with its loop; making one per failed attempt would pile them up).
    private var idleClient: NATSClient?

    /// Makes a host on `loop`: calls run inline on the runtime's own loop, as tasks on a
    /// caller's loop (or as `config.asyncMode` says). Any thread.
    init(loop: EventLoop, ownsLoop: Bool, config: OaasConfig, registry: ServiceRegistry, store: any ObjectStore, logger: Logger) {
        self.loop = loop
        self.ownsLoop = ownsLoop
        self.config = config
        self.logger = logger
        let isAsync = config.asyncMode ?? !ownsLoop
        engine = InvocationEngine(loop: loop, strategy: isAsync ? .tasks : .inline, registry: registry, store: store,
                                  maxPendingPerObject: config.maxPendingCallsPerObject,
                                  maxCommitAttempts: config.maxCommitAttempts, logger: logger)
    }

    /// The state of the bus connection, for ``Oaas/listAgents()``. Any thread.
    var busLink: AgentInfo.BusLink { link.withLock { $0 } }

    /// A description of the bus for logs and errors, without credentials.
    var busDescription: String {
        if config.mockMode || config.usesEmbeddedBus { return "the embedded bus" }
        return "NATS at \(BusURLRedaction.redacted(config.busURL))"
    }

    /// Hands `body` the bus, connecting it first if needed: the embedded bus in mock mode or
    /// when configured, else a NATS client. A failed connection is retried by the next caller.
    /// Loop thread only.
    func withBus(_ body: @escaping (Result<any Bus, BusError>) -> Void) {
        assert(loop.inLoop)
        switch busState {
        case .ready(let bus):
            body(.success(bus))
        case .connecting(var waiters):
            waiters.append(body)
            busState = .connecting(waiters: waiters)
        case .closed:
            body(.failure(BusError(.closed)))
        case .none:
            if config.mockMode || config.usesEmbeddedBus {
                let bus = EmbeddedBus(loop: loop)
                busState = .ready(bus)
                link.withLock { $0 = .embedded }
                return body(.success(bus))
            }
            connectNATS(first: body)
        }
    }

    private func connectNATS(first waiter: @escaping (Result<any Bus, BusError>) -> Void) {
        let settings = config.natsSettings(servers: config.busURL, name: "oaas-swift")
        let client: NATSClient
        if let idleClient {
            client = idleClient
            self.idleClient = nil
        } else {
            do {
                client = try NATSClient(loop: loop, configuration: settings)
            } catch {
                return waiter(.failure(error))
            }
        }
        let logger = self.logger
        let where_ = busDescription
        client.onStateChange = { [link] state in
            logger.info("message bus \(where_): \(state)")
            link.withLock { $0 = AgentInfo.BusLink(state) }
        }
        busState = .connecting(waiters: [waiter])
        client.connect { [self] result in
            guard case .connecting(let waiters) = busState else {
                // Closed while connecting: nobody wants this connection any more.
                client.close {}
                return
            }
            switch result {
            case .success:
                busState = .ready(client)
                for waiter in waiters { waiter(.success(client)) }
            case .failure(let error):
                busState = .none
                idleClient = client
                logger.error("cannot connect to \(where_): \(error)")
                for waiter in waiters { waiter(.failure(error)) }
            }
        }
    }

    /// Closes the bus (stopping whatever it still serves) and calls `completion`. Loop thread
    /// only.
    func close(completion: @escaping () -> Void) {
        assert(loop.inLoop)
        let previous = busState
        busState = .closed
        link.withLock { $0 = .closed }
        idleClient?.close {}
        idleClient = nil
        switch previous {
        case .ready(let bus):
            bus.close(completion: completion)
        case .connecting(let waiters):
            for waiter in waiters { waiter(.failure(BusError(.closed))) }
            completion()
        case .none, .closed:
            completion()
        }
    }
}

/// Hides the credentials of a bus URL in logs and errors.
extension OaasConfig {
    /// A NATS client's settings for `servers` with the bus's credentials and connect timeout
    /// (the agents' bus and the NATS key-value store connect alike).
    func natsSettings(servers: String, name: String) -> NATSClientConfiguration {
        var settings = NATSClientConfiguration(servers: servers)
        settings.token = busToken
        settings.user = busUser
        settings.password = busPassword
        settings.connectTimeout = busConnectTimeout
        settings.name = name
        return settings
    }
}

enum BusURLRedaction {
    /// `nats://user:secret@host:4222` → `nats://***@host:4222`, for every URL of a list.
    static func redacted(_ url: String) -> String {
        url.split(separator: ",", omittingEmptySubsequences: false).map { part -> String in
            guard let at = part.lastIndex(of: "@") else { return String(part) }
            let start = part.range(of: "://")?.upperBound ?? part.startIndex
            guard start <= at else { return String(part) }
            return String(part[..<start]) + "***" + String(part[at...])
        }.joined(separator: ",")
    }
}

extension AgentInfo.BusLink {
    /// How a NATS client's state reads in an agent listing: before the first connection
    /// completes no agent is listed, so only its later states matter.
    init(_ state: NATSClientState) {
        switch state {
        case .connected: self = .connected
        case .reconnecting(let attempt): self = .reconnecting(attempt: attempt)
        case .idle, .connecting, .closed: self = .closed
        }
    }
}
