import OaasBus
import OaasLoop

/// Agent management (the design's `start_agent`, `stop_agent`, `list_agents`,
/// `stop_all_agents`): agents serve the `serveWithAgent` methods of one object, or of every
/// object of a class, on the message bus, with or without the gRPC server.
extension Oaas {
    /// Starts an agent for `type` (the design's `start_agent`).
    ///
    /// The agent serves every method of `type` marked `serveWithAgent` on the bus
    /// (``OaasConfig/busURL``): stateless ones on `oprc/{class}/{partition}/invokes/{fn}`, the
    /// others on `oprc/{class}/{partition}/objects/{objectId}/invokes/{fn}`. Agents for the
    /// same keys, in this process or others, share the calls. It returns once the bus has
    /// confirmed every key.
    ///
    /// - Parameters:
    ///   - objectId: the object to serve; `nil` serves every object of the class (the design's
    ///     "serves all instances").
    ///   - partitionId: `nil` means the configured default partition.
    ///   - loop: the loop to run on. Agents share one loop: by default the runtime's own
    ///     (the server's too, when it runs on it); a loop given here must be the one the
    ///     runtime's agents already use, if any run.
    /// - Returns: the agent id, `package.Name` or `package.Name:objectId`.
    /// - Throws: ``AgentError``: "Service class X not registered with @oaas.service", "Agent
    ///   <id> is already running", or "Failed to start agent <id>: <cause>" (bus unreachable,
    ///   credentials refused, a bad object id...), after which nothing of the agent runs.
    /// Any thread or task.
    @discardableResult
    public func startAgent<Service: OaasService>(
        _ type: Service.Type, objectId: String? = nil, partitionId: UInt32? = nil, loop: EventLoop? = nil
    ) async throws(AgentError) -> String {
        let classID = Service.serviceDefinition.classID
        guard registry.isRegistered(type), let service = registry.lookup(classID) else {
            throw AgentError(.notRegistered(serviceName: String(describing: type)))
        }
        let id = Self.agentID(classID: classID, objectId: objectId)
        if let objectId, let problem = Invocation.problem(withBusObjectID: objectId) {
            throw AgentError(.startFailed(agentID: id, cause: problem))
        }
        if let problem = configurationProblem {
            throw AgentError(.startFailed(agentID: id, cause: problem.message))
        }
        let config = self.config
        let partition = partitionId ?? config.defaultPartition
        guard agents.reserve(id) else { throw AgentError(.alreadyRunning(agentID: id)) }
        logger.info("Starting agent \(id)")

        let host: AgentHost
        do {
            host = try agentHost(loop: loop)
        } catch {
            agents.cancel(id)
            throw AgentError(.startFailed(agentID: id, cause: "\(error)"))
        }
        let agent = RunningAgent(id: id, service: service, objectID: objectId, partition: partition, host: host, logger: logger)
        // A bus that is reconnecting would keep the start waiting for as long as it is down.
        let limit = config.busConnectTimeout + .seconds(5)
        let outcome: Result<Void, BusError> = await host.loop.awaitCompletion(orElse: .failure(BusError(.closed))) { finish in
            host.withBus { result in
                switch result {
                case .success(let bus): agent.start(on: bus, within: limit, completion: finish)
                case .failure(let error): finish(.failure(error))
                }
            }
        }
        switch outcome {
        case .success:
            agents.started(agent)
            if agent.routes.isEmpty {
                logger.warning("Agent \(id) started, but \(classID) has no method marked serveWithAgent: it serves nothing")
            } else {
                logger.info("Agent \(id) started on \(host.busDescription)", metadata: ["keys": "\(agent.routes.map(\.key))"])
            }
            return id
        case .failure(let error):
            agents.cancel(id)
            logger.error("Failed to start agent \(id): \(error)")
            throw AgentError(.startFailed(agentID: id, cause: "\(error) (\(host.busDescription))"))
        }
    }

    /// Stops the agent `agentId` (the design's `stop_agent`): it stops taking calls, lets the
    /// calls in flight finish and commit (up to ``OaasConfig/drainTimeout``), then returns.
    /// Other agents, of the same class included, keep serving.
    /// - Throws: ``AgentError`` "Agent <id> is not running".
    /// Any thread or task.
    public func stopAgent(_ agentId: String) async throws(AgentError) {
        guard let agent = agents.beginStop(agentId) else { throw AgentError(.notRunning(agentID: agentId)) }
        logger.info("Stopping agent \(agentId)")
        let grace = config.drainTimeout
        let running = await agent.host.loop.awaitCompletion(orElse: agent.counters.callsInFlight) { finish in
            agent.stop(grace: grace, completion: finish)
        }
        agents.stopped(agentId)
        if running > 0 {
            logger.warning("Agent \(agentId) stopped with \(running) calls still running after \(grace); they finish and commit on their own")
        } else {
            logger.info("Agent \(agentId) stopped")
        }
    }

    /// Stops the agent of `type` for `objectId` (`nil`: the class-wide agent); see
    /// ``stopAgent(_:)``.
    public func stopAgent<Service: OaasService>(_ type: Service.Type, objectId: String? = nil) async throws(AgentError) {
        try await stopAgent(Self.agentID(classID: Service.serviceDefinition.classID, objectId: objectId))
    }

    /// The design's general form: by agent id, or by service and object id.
    /// - Throws: ``AgentError`` "Either agent_id or service_class must be provided" when
    ///   given neither; else as ``stopAgent(_:)``.
    public func stopAgent(agentId: String? = nil, service: (any OaasService.Type)? = nil, objectId: String? = nil) async throws(AgentError) {
        if let agentId { return try await stopAgent(agentId) }
        guard let service else { throw AgentError(.missingTarget) }
        try await stopAgent(Self.agentID(classID: Self.classID(of: service), objectId: objectId))
    }

    private static func classID<Service: OaasService>(of type: Service.Type) -> String {
        Service.serviceDefinition.classID
    }

    /// The started agents by id (the design's `list_agents`), with their activity. Any thread.
    public func listAgents() -> [String: AgentInfo] {
        agents.infos()
    }

    /// Stops every agent, each with its drain (the design's `stop_all_agents`); never throws.
    /// The bus stays connected for calls; ``closeBus()`` closes it. Any thread or task.
    public func stopAllAgents() async {
        for id in agents.servingIDs {
            do {
                try await stopAgent(id)
            } catch {
                logger.error("Error stopping agent \(id): \(error)")
            }
        }
    }

    /// Stops every agent, closes the bus connection and releases the agents' loop (ending it
    /// if it is the runtime's own and the server does not use it). The next agent or bus call
    /// starts afresh with the configuration of that moment. Any thread or task.
    public func closeBus() async {
        await stopAllAgents()
        // Starts and stops in progress elsewhere end within their own bounds (connect limit,
        // drain timeout); wait for them, then stop whatever they started.
        let patience = ContinuousClock.now + config.drainTimeout + config.busConnectTimeout + .seconds(10)
        while agents.hasAgentsInTransition, ContinuousClock.now < patience {
            try? await Task.sleep(for: .milliseconds(10))
        }
        await stopAllAgents()
        guard let host = agents.detachIdleHost() else {
            logger.error("closeBus: agents still starting or stopping after waiting for them; the bus stays open")
            return
        }
        await close(host)
    }

    /// Closes a detached host's bus and releases its loop.
    func close(_ host: AgentHost) async {
        await host.loop.awaitCompletion(orElse: ()) { finish in host.close { finish(()) } }
        if host.ownsLoop { await ownLoop.release(host.loop) }
    }

    /// The agents' host: the existing one, or a new one on `loop` or the runtime's own loop.
    func agentHost(loop: EventLoop?) throws -> AgentHost {
        let config = self.config
        let store = self.store
        let logger = self.logger
        let registry = self.registry
        let ownLoop = self.ownLoop
        return try agents.host(on: loop) { loop in
            let hostLoop = try loop ?? ownLoop.acquire()
            let host = AgentHost(loop: hostLoop, ownsLoop: loop == nil, config: config, registry: registry, store: store, logger: logger)
            if host.ownsLoop { ownLoop.register(host.engine, on: hostLoop) }
            return host
        }
    }

    static func agentID(classID: String, objectId: String?) -> String {
        objectId.map { "\(classID):\($0)" } ?? classID
    }
}
