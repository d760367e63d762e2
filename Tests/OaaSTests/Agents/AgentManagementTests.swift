import Foundation
import OaasBus
import OaasLoop
import OaasProto
import OaasTesting
import Testing
@testable import OaaS

/// Runs `body` with `runtime`, then closes its bus (stopping its agents) whatever happens.
func withAgentRuntime(_ runtime: Oaas, _ body: (Oaas) async throws -> Void) async throws {
    do {
        try await body(runtime)
    } catch {
        await runtime.closeBus()
        throw error
    }
    await runtime.closeBus()
}

/// Sends raw bytes to `key` on the runtime's bus, as any bus client could.
func rawBusRequest(_ runtime: Oaas, key: String, bytes: [UInt8], timeout: Duration = .seconds(5)) async throws -> Result<[UInt8], BusError> {
    let host = try runtime.agentHost(loop: nil)
    return await host.loop.awaitCompletion(orElse: .failure(BusError(.closed))) { finish in
        host.withBus { result in
            switch result {
            case .success(let bus): bus.request(key: key, payload: bytes, timeout: timeout, completion: finish)
            case .failure(let error): finish(.failure(error))
            }
        }
    }
}

@Suite("Agent management on the embedded bus", .timeLimit(.minutes(1)))
struct AgentManagementTests {
    @Test("agent ids and the design's error messages")
    func idsAndErrors() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            await #expect(throws: AgentError(.notRegistered(serviceName: "Unregistered"))) {
                try await runtime.startAgent(Unregistered.self)
            }
            let error = try #require(await #expect(throws: AgentError.self) { try await runtime.startAgent(Unregistered.self) })
            #expect(error.message == "Service class Unregistered not registered with @oaas.service")

            #expect(try await runtime.startAgent(AgentWorker.self, objectId: "5") == "test.AgentWorker:5")
            #expect(try await runtime.startAgent(AgentWorker.self) == "test.AgentWorker")
            let duplicate = try #require(await #expect(throws: AgentError.self) {
                try await runtime.startAgent(AgentWorker.self, objectId: "5")
            })
            #expect(duplicate.message == "Agent test.AgentWorker:5 is already running")
            #expect(duplicate.code == "AGENT_ALREADY_RUNNING")

            let missing = try #require(await #expect(throws: AgentError.self) { try await runtime.stopAgent("test.AgentWorker:99") })
            #expect(missing.message == "Agent test.AgentWorker:99 is not running")
            let neither = try #require(await #expect(throws: AgentError.self) { try await runtime.stopAgent() })
            #expect(neither.message == "Either agent_id or service_class must be provided")

            let badID = try #require(await #expect(throws: AgentError.self) {
                try await runtime.startAgent(AgentWorker.self, objectId: "a/b")
            })
            #expect(badID.message.hasPrefix("Failed to start agent test.AgentWorker:a/b: "))
            await #expect(throws: AgentError.self) { try await runtime.startAgent(AgentWorker.self, objectId: "*") }

            try await runtime.stopAgent(agentId: nil, service: AgentWorker.self, objectId: "5")
            try await runtime.stopAgent(AgentWorker.self)
            #expect(runtime.listAgents().isEmpty)
            // A failed start left nothing behind: the ids can start again.
            #expect(try await runtime.startAgent(AgentWorker.self, objectId: "a-b") == "test.AgentWorker:a-b")
        }
    }

    @Test("calls through the bus reach the agent, state persists between calls, and errors come back as statuses")
    func roundTrip() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "7")
            #expect(try await runtime.worker("7", "add", "5") == ("okay", "5"))
            #expect(try await runtime.worker("7", "add", "2") == ("okay", "7"))
            #expect(try await runtime.worker("7", "whoami") == ("okay", "test.AgentWorker/0/7"))
            let failure = try await runtime.worker("7", "fail")
            #expect(failure.status == "appError" && failure.text.contains("agent method failed"))
            let badArgument = try await runtime.worker("7", "add", "\"five\"")
            #expect(badArgument.status == "appError")
            // Only methods marked serveWithAgent are on the bus.
            await #expect(throws: BusCallError.self) { try await runtime.worker("7", "serverOnly") }
            // Another object has no agent.
            let noAgent = try #require(await #expect(throws: BusCallError.self) { try await runtime.worker("8", "add", "1") })
            #expect(noAgent.reason == .noAgent(key: "oprc/test.AgentWorker/0/objects/8/invokes/add"))
            // Stateless functions are served on the function key.
            let echo = try await runtime.invokeFunctionViaBus("test.AgentWorker", function: "echo", payload: Array("\"hi\"".utf8))
            #expect(echo.status == .okay && echo.payload.text == "hi")
        }
    }

    @Test("two agents of one class for different objects never collide: stopping one leaves the other serving and listed")
    func independentAgents() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "1")
            try await runtime.startAgent(AgentWorker.self, objectId: "2")
            try await runtime.startAgent(Plain.self, objectId: "100")
            #expect(Set(runtime.listAgents().keys) == ["test.AgentWorker:1", "test.AgentWorker:2", "test.Plain:100"])
            #expect(try await runtime.worker("1", "add", "1").text == "1")
            #expect(try await runtime.worker("2", "add", "2").text == "2")
            // Both serve the class's stateless key; stopping one must not take it from the other.
            try await runtime.stopAgent("test.AgentWorker:1")
            #expect(Set(runtime.listAgents().keys) == ["test.AgentWorker:2", "test.Plain:100"])
            await #expect(throws: BusCallError.self) { try await runtime.worker("1", "add", "1") }
            #expect(try await runtime.worker("2", "add", "2").text == "4")
            let echo = try await runtime.invokeFunctionViaBus("test.AgentWorker", function: "echo", payload: Array("\"x\"".utf8))
            #expect(echo.status == .okay)
            try await runtime.stopAgent("test.AgentWorker:2")
            await #expect(throws: BusCallError.self) {
                try await runtime.invokeFunctionViaBus("test.AgentWorker", function: "echo", payload: Array("\"x\"".utf8))
            }
            // A class without agent methods starts and serves nothing.
            #expect(runtime.listAgents()["test.Plain:100"]?.keys == [])
        }
    }

    @Test("a class-wide agent serves every object; beside an object agent each call still runs once")
    func classWideAgent() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self)
            #expect(runtime.listAgents()["test.AgentWorker"]?.objectID == nil)
            #expect(runtime.listAgents()["test.AgentWorker"]?.busLink == .embedded)
            #expect(try await runtime.worker("a", "add", "1").text == "1")
            #expect(try await runtime.worker("b", "add", "5").text == "5")
            #expect(try await runtime.worker("a", "whoami").text == "test.AgentWorker/0/a")
            try await runtime.startAgent(AgentWorker.self, objectId: "a")
            for expected in 2...21 {
                #expect(try await runtime.worker("a", "add", "1").text == "\(expected)")
            }
            let served = runtime.listAgents().values.map(\.callsServed).reduce(0, +)
            #expect(served == 23)
        }
    }

    @Test("listAgents reports the design's fields and the activity counters")
    func listing() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            let before = Date()
            try await runtime.startAgent(AgentWorker.self, objectId: "9", partitionId: 3)
            _ = try await runtime.invokeViaBus("test.AgentWorker", objectID: "9", function: "add", payload: Array("1".utf8), partition: 3)
            _ = try await runtime.invokeViaBus("test.AgentWorker", objectID: "9", function: "fail", partition: 3)
            let info = try #require(runtime.listAgents()["test.AgentWorker:9"])
            #expect(info.serviceName == "AgentWorker" && info.package == "test" && info.classID == "test.AgentWorker")
            #expect(info.objectID == "9" && info.partitionID == 3)
            #expect(info.startedAt >= before.addingTimeInterval(-1) && info.startedAt <= Date())
            #expect(info.runningDuration > .zero)
            #expect(info.callsServed == 2 && info.callsFailed == 1 && info.callsInFlight == 0)
            #expect(info.lastError?.contains("agent method failed") == true)
            #expect(info.state == .serving)
            #expect(info.keys.contains("oprc/test.AgentWorker/3/objects/9/invokes/add"))
            #expect(info.keys.contains("oprc/test.AgentWorker/3/invokes/echo"))
            #expect(info.startedAtISO.count == 26)
        }
    }

    @Test("bad requests on an agent's key get INVALID_REQUEST replies, and the agent keeps serving")
    func badRequests() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "7")
            let key = BusKey.object(classID: "test.AgentWorker", partition: 0, objectID: "7", function: "add")
            func status(of bytes: [UInt8]) async throws -> Oprc_InvocationResponse {
                let reply = try await rawBusRequest(runtime, key: key, bytes: bytes).get()
                return try Oprc_InvocationResponse(serializedBytes: reply)
            }
            let garbage = try await status(of: [0xFF, 0xFF, 0xFF])
            #expect(garbage.status == .invalidRequest)
            #expect(garbage.payload.text.contains("not a valid ObjectInvocationRequest"))
            let empty = try await status(of: [])
            #expect(empty.status == .invalidRequest && empty.payload.text == "Payload must not be empty")

            var wrongObject = Oprc_ObjectInvocationRequest()
            wrongObject.objectIDStr = "8"
            wrongObject.payload = Data("1".utf8)
            let mismatch = try await status(of: try wrongObject.serializedBytes())
            #expect(mismatch.status == .invalidRequest && mismatch.payload.text.contains("does not match"))

            var wrongClass = Oprc_ObjectInvocationRequest()
            wrongClass.clsID = "other.Class"
            wrongClass.payload = Data("1".utf8)
            #expect(try await status(of: try wrongClass.serializedBytes()).status == .invalidRequest)

            // Fields left empty are taken from the key.
            var minimal = Oprc_ObjectInvocationRequest()
            minimal.payload = Data("4".utf8)
            let fine = try await status(of: try minimal.serializedBytes())
            #expect(fine.status == .okay && fine.payload.text == "4")
            #expect(try await runtime.worker("7", "add", "1").text == "5")
            #expect(runtime.listAgents()["test.AgentWorker:7"]?.callsServed == 6)
        }
    }

    @Test("stopAgent drains: the call in flight finishes and commits before stopAgent returns")
    func drainingStop() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "d")
            // Long enough that the poll below sees it in flight even on a starved test pool.
            let call = Task { try await runtime.worker("d", "slowAdd", "1500") }
            while runtime.listAgents()["test.AgentWorker:d"]?.callsInFlight != 1 { try await Task.sleep(for: .milliseconds(5)) }
            let started = ContinuousClock.now
            try await runtime.stopAgent("test.AgentWorker:d")
            #expect(ContinuousClock.now - started >= .milliseconds(150))
            #expect(try await call.value == ("okay", "1"))
            #expect(runtime.listAgents().isEmpty)
            // The state was committed: a new agent for the object continues from it.
            try await runtime.startAgent(AgentWorker.self, objectId: "d")
            #expect(try await runtime.worker("d", "add", "0").text == "1")
        }
    }

    @Test("a stop whose call outlives the drain timeout returns at the deadline; the call still answers")
    func drainTimeout() async throws {
        try await withAgentRuntime(try makeAgentRuntime(drain: .milliseconds(100))) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "slow")
            // The call outlasts the 100 ms drain by far, so a stop that returns well before the
            // call ends returned at the deadline, even on a loop slowed by sanitizers.
            let call = Task { try await runtime.worker("slow", "slowAdd", "4000", timeout: .seconds(20)) }
            while runtime.listAgents()["test.AgentWorker:slow"]?.callsInFlight != 1 { try await Task.sleep(for: .milliseconds(5)) }
            let started = ContinuousClock.now
            try await runtime.stopAgent("test.AgentWorker:slow")
            let took = ContinuousClock.now - started
            #expect(took >= .milliseconds(90) && took < .milliseconds(2500))
            #expect(try await call.value == ("okay", "1"))
        }
    }

    @Test("a call with no reply in time fails with a timeout, not a hang")
    func timeout() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "t")
            let error = try #require(await #expect(throws: BusCallError.self) {
                try await runtime.worker("t", "slowAdd", "400", timeout: .milliseconds(50))
            })
            #expect(error.reason == .timedOut(.milliseconds(50)))
            #expect(error.message.contains("no reply from oprc/test.AgentWorker/0/objects/t/invokes/slowAdd"))
        }
    }

    @Test("an object calls another object through the bus")
    func objectToObject() async throws {
        let runtime = try makeAgentRuntime()
        AgentWorker.relayRuntime = runtime
        try await withAgentRuntime(runtime) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "caller")
            try await runtime.startAgent(AgentWorker.self, objectId: "callee")
            #expect(try await runtime.worker("caller", "relay", "\"callee\"") == ("okay", "10"))
            #expect(try await runtime.worker("caller", "relay", "\"callee\"") == ("okay", "20"))
            #expect(try await runtime.worker("caller", "add", "0").text == "2")
        }
    }

    @Test("agents run without a server, beside it, and share the object store with it")
    func besideServer() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "s")
            #expect(!runtime.isServerRunning)
            #expect(try await runtime.worker("s", "add", "3").text == "3")
            try runtime.startServer(port: 0)
            let client = try OaasClient(port: runtime.serverInfo.port!)
            let viaServer = try await client.invoke("test.AgentWorker", objectID: "s", function: "serverOnly", payload: [])
            #expect(viaServer.payload.text == "3")
            #expect(try await runtime.worker("s", "add", "3").text == "6")
            await client.close()
            try await runtime.stopServer()
            // The server's stop leaves the agents serving.
            #expect(try await runtime.worker("s", "add", "1").text == "7")
        }
    }

    @Test("calls to one object through the server and through an agent wait for each other")
    func serverAndAgentSerialize() async throws {
        try await withAgentRuntime(try makeAgentRuntime()) { runtime in
            try runtime.startServer(port: 0, asyncMode: true)
            try await runtime.startAgent(AgentWorker.self, objectId: "both")
            let client = try OaasClient(port: runtime.serverInfo.port!)
            async let viaServer = client.invoke("test.AgentWorker", objectID: "both", function: "slowAdd", payload: Array("100".utf8))
            async let viaBus = runtime.worker("both", "slowAdd", "100")
            let (server, bus) = try await (viaServer, viaBus)
            #expect(server.status == .okay, "\(server.payload.text)")
            #expect(bus.status == "okay", "\(bus.text)")
            #expect(Set([server.payload.text, bus.text]) == ["1", "2"])
            await client.close()
            try await runtime.stopServer()
        }
    }

    @Test("mock mode uses the embedded bus whatever the configured URL")
    func mockMode() async throws {
        try await withAgentRuntime(try makeAgentRuntime(mock: true, busURL: "nats://127.0.0.1:1")) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "m")
            #expect(try await runtime.worker("m", "add", "2").text == "2")
        }
    }

    @Test("agents on a caller's loop run as tasks there, and leave it clean after closeBus")
    func callersLoop() async throws {
        try await withOwnedLoop { loop in
            let runtime = try makeAgentRuntime()
            try await runtime.startAgent(AgentWorker.self, objectId: "L", loop: loop)
            #expect(try await runtime.worker("L", "add", "1").text == "1")
            let other = try EventLoop.startOwned(name: "other-loop")
            let conflict = try #require(await #expect(throws: AgentError.self) {
                try await runtime.startAgent(AgentWorker.self, objectId: "M", loop: other)
            })
            #expect(conflict.message.contains("already run on loop"))
            _ = other.shutdown(gracePeriod: .seconds(1))
            await runtime.closeBus()
        }
    }
}
