import Foundation
import OaasBus
import OaasLoop
import OaasTesting
import Testing
@testable import OaaS

/// Lifecycle edges: what happens around stops, closes and reconfiguration.
@Suite("Agent lifecycle edges", .serialized, .timeLimit(.minutes(2)))
struct AgentLifecycleTests {
    @Test("closing the bus while a call outlives its agent's drain does not end the loop under the call")
    func closeAfterDrainTimeout() async throws {
        let runtime = try makeAgentRuntime(drain: .milliseconds(50))
        try await runtime.startAgent(AgentWorker.self, objectId: "late")
        // The call outlasts the bound below by far, so the bound tells a close that waited
        // for it from one that did not, even on a loop slowed by sanitizers.
        let callStarted = ContinuousClock.now
        let call = Task { try? await runtime.worker("late", "slowAdd", "4000", timeout: .seconds(20)) }
        while runtime.listAgents()["test.AgentWorker:late"]?.callsInFlight != 1 { try await Task.sleep(for: .milliseconds(5)) }
        try await runtime.stopAgent("test.AgentWorker:late")
        let started = ContinuousClock.now
        await runtime.closeBus()
        #expect(ContinuousClock.now - started < .milliseconds(2500), "closeBus waited for the stray call")
        _ = await call.value
        // The call finishes on a loop that stayed up for it; a new start gets a fresh loop.
        try await Task.sleep(until: callStarted + .milliseconds(4500))
        try await withAgentRuntime(runtime) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "late")
            #expect(try await runtime.worker("late", "add", "0").text == "1")
        }
    }

    @Test("a stop and a call that wait on a loop which shuts down return, instead of never")
    func waitersEndWithTheLoop() async throws {
        let runtime = try makeAgentRuntime(drain: .seconds(60))
        let loop = try EventLoop.startOwned(name: "agents-caller-loop")
        try await runtime.startAgent(AgentWorker.self, objectId: "stuck", loop: loop)
        // A call that never ends, from a caller willing to wait a minute for it.
        let call = Task { try await runtime.worker("stuck", "stall", timeout: .seconds(60)) }
        while runtime.listAgents()["test.AgentWorker:stuck"]?.callsInFlight != 1 { try await Task.sleep(for: .milliseconds(5)) }
        // The stop waits for that call for up to a minute...
        let stop = Task { try await runtime.stopAgent("test.AgentWorker:stuck") }
        while runtime.listAgents()["test.AgentWorker:stuck"]?.state != .stopping { try await Task.sleep(for: .milliseconds(5)) }
        // ...unless the loop shuts down first: the stop ends as the shutdown begins, and the
        // caller, whose reply timer the loop closes at its end, gets an error.
        let started = ContinuousClock.now
        loop.stop(gracePeriod: .milliseconds(200))
        try await stop.value
        #expect(runtime.listAgents().isEmpty)
        let outcome = await call.result
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(throws: BusCallError.self) { try outcome.get() }
        _ = await loop.terminated()
        let report = loop.join()  // reaps the loop's thread, finished by now
        // The caller's one-minute reply timer is the one handle the loop had to close; the
        // stop closed its own drain timer.
        #expect(report.forcedHandleCloses == 1, "\(report)")
    }

    @Test("the server's stop leaves the runtime's loop to agents, and the last one out ends it only when idle")
    func serverAndAgentsShareTheLoop() async throws {
        let runtime = try makeAgentRuntime(drain: .milliseconds(50))
        try runtime.startServer(port: 0)
        try await runtime.startAgent(AgentWorker.self, objectId: "x")
        let call = Task { try? await runtime.worker("x", "slowAdd", "600") }
        while runtime.listAgents()["test.AgentWorker:x"]?.callsInFlight != 1 { try await Task.sleep(for: .milliseconds(5)) }
        try await runtime.stopAgent("test.AgentWorker:x")
        await runtime.closeBus()
        // The server is now the loop's last user; stopping it must not end the loop under the
        // agent's call, which is still running.
        try await runtime.stopServer()
        _ = await call.value
        try await Task.sleep(for: .milliseconds(700))
        try runtime.startServer(port: 0)
        try await runtime.stopServer()
    }

    @Test("configure() drops an idle bus, so the next agent uses the new settings")
    func reconfigure() async throws {
        let runtime = try makeAgentRuntime()
        try await withAgentRuntime(runtime) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "c")
            try await runtime.stopAgent("test.AgentWorker:c")
            runtime.configure(try OaasConfig(debugLevel: DebugLevel.none, busURL: "nats://127.0.0.1:1",
                                             busConnectTimeout: .milliseconds(300), environment: [:]))
            try runtime.register(AgentWorker.self)
            // Give the old host's close a moment (it runs in the background).
            try await Task.sleep(for: .milliseconds(100))
            let error = try #require(await #expect(throws: AgentError.self) {
                try await runtime.startAgent(AgentWorker.self, objectId: "c")
            })
            #expect(error.message.contains("cannot reach the message bus"))
        }
    }

    @Test("a key too long for a NATS command line is refused at once, and the connection is not cut")
    func longKey() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        try await withAgentRuntime(try makeAgentRuntime(busURL: server.url)) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "k")
            let started = ContinuousClock.now
            let error = try #require(await #expect(throws: BusCallError.self) {
                try await runtime.invokeViaBus("test.AgentWorker", objectID: "k", function: String(repeating: "f", count: 5000))
            })
            #expect(error.code == "BUS_INVALID_CALL" && error.message.contains("over the 3584"))
            #expect(ContinuousClock.now - started < .seconds(1))
            #expect(try await runtime.worker("k", "add", "1").text == "1")
        }
    }

    @Test("a request that timed out while the NATS server was down is not sent, and so not run, after the reconnect")
    func heldRequestExpires() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        let agents = try makeAgentRuntime(busURL: server.url)
        let caller = try makeAgentRuntime(busURL: server.url, busTimeout: .milliseconds(200))
        try await withAgentRuntime(agents) { agents in
            try await withAgentRuntime(caller) { caller in
                try await agents.startAgent(AgentWorker.self, objectId: "h")
                #expect(try await caller.worker("h", "add", "1").text == "1")
                server.kill()
                await #expect(throws: BusCallError.self) { try await caller.worker("h", "add", "100") }
                try server.restart()
                var answer: String?
                let deadline = ContinuousClock.now + .seconds(15)
                while answer == nil, ContinuousClock.now < deadline {
                    if let reply = try? await caller.worker("h", "add", "0"), reply.status == "okay" { answer = reply.text }
                    else { try await Task.sleep(for: .milliseconds(100)) }
                }
                // Had the expired "add 100" been sent after the reconnect, the total would be 101.
                #expect(answer == "1")
            }
        }
    }

    @Test("startAgent gives up when the bus stays down, instead of waiting for it forever")
    func startWhileBusDown() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        try await withAgentRuntime(try makeAgentRuntime(busURL: server.url, connectTimeout: .milliseconds(300))) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "a")
            server.kill()
            let started = ContinuousClock.now
            let error = try #require(await #expect(throws: AgentError.self) {
                try await runtime.startAgent(AgentWorker.self, objectId: "b")
            })
            #expect(error.message.contains("did not confirm"))
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(runtime.listAgents()["test.AgentWorker:b"] == nil)
        }
    }

    @Test("a timeout of centuries means never, not an overflow")
    func hugeTimeout() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        try await withAgentRuntime(try makeAgentRuntime(busURL: server.url)) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "t")
            #expect(try await runtime.worker("t", "add", "2", timeout: .seconds(Int64.max / 2)).text == "2")
        }
    }
}
