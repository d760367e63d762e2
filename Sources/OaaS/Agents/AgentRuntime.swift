import OaasLoop

/// The table of agents and the host they run on. Any thread: every member takes the lock
/// for a short, non-blocking update.
final class AgentRuntime: Sendable {
    private enum Entry {
        /// Reserved by a `startAgent` that has not finished.
        case starting
        case serving(RunningAgent)
        case stopping(RunningAgent)
    }

    private struct Table {
        var host: AgentHost?
        var entries: [String: Entry] = [:]
    }

    private let table = LockedValue(Table())

    /// Claims `id` for a starting agent; `false` if an agent with that id exists.
    func reserve(_ id: String) -> Bool {
        table.withLock { table in
            guard table.entries[id] == nil else { return false }
            table.entries[id] = .starting
            return true
        }
    }

    /// Forgets a reservation whose start failed.
    func cancel(_ id: String) {
        table.withLock { table in
            if case .starting = table.entries[id] { table.entries[id] = nil }
        }
    }

    /// Records a started agent.
    func started(_ agent: RunningAgent) {
        table.withLock { $0.entries[agent.id] = .serving(agent) }
    }

    /// Marks a serving agent as stopping and returns it; `nil` if `id` is not serving.
    func beginStop(_ id: String) -> RunningAgent? {
        table.withLock { table in
            guard case .serving(let agent) = table.entries[id] else { return nil }
            table.entries[id] = .stopping(agent)
            return agent
        }
    }

    /// Forgets a stopped agent.
    func stopped(_ id: String) {
        table.withLock { $0.entries[id] = nil }
    }

    /// The ids of the serving agents.
    var servingIDs: [String] {
        table.withLock { table in
            table.entries.compactMap { id, entry in
                if case .serving = entry { return id }
                return nil
            }.sorted()
        }
    }

    /// Whether an agent is starting or stopping right now.
    var hasAgentsInTransition: Bool {
        table.withLock { table in
            table.entries.values.contains { entry in
                switch entry {
                case .starting, .stopping: true
                case .serving: false
                }
            }
        }
    }

    /// Every started agent (serving or stopping), by id.
    func infos() -> [String: AgentInfo] {
        let (agents, host): ([(RunningAgent, AgentInfo.State)], AgentHost?) = table.withLock { table in
            let agents: [(RunningAgent, AgentInfo.State)] = table.entries.values.compactMap { entry in
                switch entry {
                case .starting: nil
                case .serving(let agent): (agent, .serving)
                case .stopping(let agent): (agent, .stopping)
                }
            }
            return (agents, table.host)
        }
        let busLink = host?.busLink ?? .closed
        var infos: [String: AgentInfo] = [:]
        for (agent, state) in agents { infos[agent.id] = agent.info(state: state, busLink: busLink) }
        return infos
    }

    /// The host, made by `make` if there is none. A caller that names a loop gets a host on
    /// that loop or an error: one runtime's agents share one loop.
    func host(on loop: EventLoop?, make: (EventLoop?) throws -> AgentHost) throws -> AgentHost {
        try table.withLock { table in
            if let host = table.host {
                if let loop, loop !== host.loop {
                    throw HostLoopConflict(hostLoop: host.loop.name, requested: loop.name)
                }
                return host
            }
            let host = try make(loop)
            table.host = host
            return host
        }
    }

    /// The running host, if any.
    var currentHost: AgentHost? { table.withLock { $0.host } }

    /// Removes and returns the host when no agent is left (it is then the caller's to close).
    func detachIdleHost() -> AgentHost? {
        table.withLock { table in
            guard table.entries.isEmpty else { return nil }
            defer { table.host = nil }
            return table.host
        }
    }
}

/// `startAgent(loop:)` named a loop other than the one the runtime's agents run on.
struct HostLoopConflict: Error, CustomStringConvertible {
    let hostLoop: String
    let requested: String
    var description: String {
        "agents of this runtime already run on loop '\(hostLoop)', not '\(requested)'; stop them (oaas.closeBus()) before using another loop"
    }
}
