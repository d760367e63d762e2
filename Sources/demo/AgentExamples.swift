import OaaS
import OaasProto

/// The design's agent examples, end to end: agent-only, combined (server and agents), and
/// the independence scenarios. Calls reach agents through the bus client
/// (`oaas.invokeViaBus`), as another service would.
enum AgentExamples {
    static func run() async throws {
        do {
            try await agentOnly()
            try await combined()
            try await independence()
        } catch {
            try? await oaas.stopServer()
            await oaas.closeBus()
            throw error
        }
        await oaas.closeBus()
    }

    /// Agent-only mode: no server, an agent for `worker.BackgroundProcessor` object 123.
    static func agentOnly() async throws {
        say("")
        say("== Agent-only mode (bus: \(oaas.config.usesEmbeddedBus || oaas.config.mockMode ? "embedded" : oaas.config.busURL)) ==")
        let agentID = try await oaas.startAgent(BackgroundProcessor.self, objectId: "123")
        say("Agent running: \(agentID)")
        say("No server needed: \(!oaas.isServerRunning)")
        try await call("worker.BackgroundProcessor", "123", "process_data", #"{"job": 42}"#)
        // quick_info-style methods are not on the bus: only serveWithAgent ones are.
        try await call("worker.BackgroundProcessor", "999", "process_data", #"{"job": 1}"#)
        try await oaas.stopAgent(agentID)
        say("Agent stopped; agents now: \(oaas.listAgents().keys.sorted())")
    }

    /// Combined mode: the server answers gRPC calls, an agent answers bus calls, independently.
    static func combined() async throws {
        say("")
        say("== Combined mode (server + agents) ==")
        try oaas.startServer(port: 0)
        let agentID = try await oaas.startAgent(HybridService.self, objectId: "456")
        say("Server running: \(oaas.isServerRunning); agent: \(agentID)")
        if let port = oaas.serverInfo.port {
            let client = try OaasClient(port: port)
            let info = try await client.invoke("hybrid.HybridService", objectID: "456", function: "quick_info", payload: [])
            say("  gRPC hybrid.HybridService[456].quick_info() -> \(info.status) \(text(info))")
            await client.close()
        } else {
            let info = try await oaas.invoke("hybrid.HybridService", objectID: "456", function: "quick_info")
            say("  in-process hybrid.HybridService[456].quick_info() -> \(info.status) \(text(info))")
        }
        try await call("hybrid.HybridService", "456", "heavy_work", #"["a", "b", "c"]"#)
        try await oaas.stopServer()
        say("Server stopped; the agent still serves:")
        try await call("hybrid.HybridService", "456", "heavy_work", "[1]")
        try await oaas.stopAgent(agentID)
    }

    /// Independence: agents without a server, several at once; stopping one leaves the rest.
    static func independence() async throws {
        say("")
        say("== Independence ==")
        let agent1 = try await oaas.startAgent(BackgroundProcessor.self, objectId: "1")
        let agent2 = try await oaas.startAgent(BackgroundProcessor.self, objectId: "2")
        let agent3 = try await oaas.startAgent(Calculator.self, objectId: "100")
        say("Multiple agents, no server (server running: \(oaas.isServerRunning)):")
        for (id, info) in oaas.listAgents().sorted(by: { $0.key < $1.key }) {
            say("  \(id): service=\(info.serviceName) package=\(info.package) object=\(info.objectID ?? "*") partition=\(info.partitionID) started=\(info.startedAtISO) bus=\(info.busLink)")
        }
        try await call("math.Calculator", "100", "add", "40")
        try await call("math.Calculator", "100", "complex_calculation", "[1, 2]")
        try await oaas.stopAgent(agent1)
        say("Stopped \(agent1); \(agent2) still serves:")
        try await call("worker.BackgroundProcessor", "2", "process_data", #"{"still": "here"}"#)
        try await call("worker.BackgroundProcessor", "1", "process_data", #"{"gone": true}"#)
        for (id, info) in oaas.listAgents().sorted(by: { $0.key < $1.key }) {
            say("  \(id): calls served=\(info.callsServed) in flight=\(info.callsInFlight) running for \(info.runningDuration)")
        }
        _ = agent3
        await oaas.stopAllAgents()
        say("All agents stopped: \(oaas.listAgents().isEmpty)")
    }

    /// Calls one object method through the bus and prints the outcome.
    static func call(_ classID: String, _ object: String, _ function: String, _ payload: String) async throws {
        let label = "  bus \(classID)[\(object)].\(function)(\(payload))"
        do {
            let response = try await oaas.invokeViaBus(classID, objectID: object, function: function,
                                                       payload: Array(payload.utf8), timeout: .seconds(5))
            say("\(label) -> \(response.status) \(text(response))")
        } catch {
            say("\(label) -> \(error.message)")
        }
    }

    static func text(_ response: Oprc_InvocationResponse) -> String {
        String(decoding: response.payload, as: UTF8.self)
    }
}
