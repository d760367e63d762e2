import OaaS
import Testing

/// The conveniences that act on the global `oaas`: kept in one serialized suite, the only
/// tests that start agents or servers on the global runtime.
@Suite("Agents through the global runtime", .serialized, .timeLimit(.minutes(1)))
struct GlobalAgentTests {
    @Test("Type.startAgent/stopAgent, the older engine's runAgent/stopAgent, and an object starting its own agent")
    func conveniences() async throws {
        try oaas.register(AgentWorker.self)
        do {
            let id = try await AgentWorker.startAgent(objectId: "g1")
            #expect(id == "test.AgentWorker:g1")
            #expect(oaas.listAgents()[id]?.objectID == "g1")
            #expect(try await oaas.worker("g1", "add", "4").text == "4")
            try await AgentWorker.stopAgent(objectId: "g1")
            #expect(oaas.listAgents()[id] == nil)

            let engine = getGlobalOaas()
            let older = try await engine.runAgent(service: AgentWorker.self, objectId: "g2")
            #expect(oaas.listAgents()[older] != nil)
            try await engine.stopAgent(service: AgentWorker.self, objectId: "g2")
            #expect(oaas.listAgents().isEmpty)

            // An instance made outside a call is bound to no object.
            let unbound = try #require(await #expect(throws: AgentError.self) { try await AgentWorker().startInstanceAgent() })
            #expect(unbound.message.contains("not bound to an object"))

            // Inside a call the instance is the object, so it can start its own agent.
            try oaas.startServer(port: 0)
            let started = try await oaas.invoke("test.AgentWorker", objectID: "77", function: "startOwnAgent")
            #expect(started.status == .okay && started.payload.text == "test.AgentWorker:77")
            #expect(oaas.listAgents()["test.AgentWorker:77"]?.objectID == "77")
            #expect(try await oaas.worker("77", "add", "1").text == "1")
            try await oaas.stopServer()
            // The agent outlives the server that started it.
            #expect(try await oaas.worker("77", "add", "1").text == "2")
        } catch {
            try? await oaas.stopServer()
            await oaas.closeBus()
            throw error
        }
        await oaas.closeBus()
        #expect(oaas.listAgents().isEmpty)
    }
}
