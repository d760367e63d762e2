import Foundation
import OaasBus
import OaasProto
import OaasTesting
import Testing
@testable import OaaS

/// Agents over a real `nats-server` (Debian's), started on a free loopback port per test.
@Suite("Agents over a real NATS server", .serialized, .timeLimit(.minutes(2)))
struct AgentNATSTests {
    @Test("an agent serves over NATS, and two runtimes serving one object share its calls")
    func sharedObject() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        let first = try makeAgentRuntime(busURL: server.url)
        let second = try makeAgentRuntime(busURL: server.url)
        let caller = try makeAgentRuntime(busURL: server.url)
        try await withAgentRuntime(first) { first in
            try await withAgentRuntime(second) { second in
                try await withAgentRuntime(caller) { caller in
                    try await first.startAgent(AgentWorker.self, objectId: "shared")
                    try await second.startAgent(AgentWorker.self, objectId: "shared")
                    for _ in 0..<40 {
                        #expect(try await caller.worker("shared", "add", "1").status == "okay")
                    }
                    let servedByFirst = first.listAgents()["test.AgentWorker:shared"]?.callsServed ?? 0
                    let servedBySecond = second.listAgents()["test.AgentWorker:shared"]?.callsServed ?? 0
                    #expect(servedByFirst + servedBySecond == 40)
                    #expect(servedByFirst > 0 && servedBySecond > 0, "one runtime took every call")
                    // Stopping one leaves the key served by the other.
                    try await first.stopAgent("test.AgentWorker:shared")
                    #expect(try await caller.worker("shared", "add", "1").status == "okay")
                }
            }
        }
    }

    @Test("wrong credentials fail startAgent with a clear AgentError; the right ones work")
    func credentials() async throws {
        let server = try NATSServerProcess.start(token: "s3cret")
        defer { server.stop() }
        let wrong = try makeAgentRuntime(busURL: "nats://nope@127.0.0.1:\(server.port)")
        let error = try #require(await #expect(throws: AgentError.self) {
            try await wrong.startAgent(AgentWorker.self, objectId: "1")
        })
        #expect(error.message.hasPrefix("Failed to start agent test.AgentWorker:1: the message bus refused the credentials"))
        #expect(!error.message.contains("nope"), "the token leaked into the error: \(error.message)")
        #expect(wrong.listAgents().isEmpty)
        await wrong.closeBus()

        let right = try makeAgentRuntime(busURL: "nats://s3cret@127.0.0.1:\(server.port)")
        try await withAgentRuntime(right) { right in
            try await right.startAgent(AgentWorker.self, objectId: "1")
            #expect(try await right.worker("1", "add", "2").text == "2")
        }
    }

    @Test("an unreachable bus fails startAgent, and a call fails fast instead of hanging")
    func unreachable() async throws {
        // A port nothing listens on: start a server to learn a free port, then stop it.
        let server = try NATSServerProcess.start()
        let port = server.port
        server.stop()
        let runtime = try makeAgentRuntime(busURL: "nats://127.0.0.1:\(port)")
        try await withAgentRuntime(runtime) { runtime in
            let error = try #require(await #expect(throws: AgentError.self) {
                try await runtime.startAgent(AgentWorker.self, objectId: "1")
            })
            #expect(error.message.contains("cannot reach the message bus"))
            let started = ContinuousClock.now
            await #expect(throws: BusCallError.self) { try await runtime.worker("1", "add", "1") }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("invalid protobuf from any NATS client gets INVALID_REQUEST, and the agent keeps serving")
    func invalidProtobuf() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        try await withAgentRuntime(try makeAgentRuntime(busURL: server.url)) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "7")
            let key = BusKey.object(classID: "test.AgentWorker", partition: 0, objectID: "7", function: "add")
            let reply = try await rawBusRequest(runtime, key: key, bytes: [0x0A, 0xFF, 0x01]).get()
            let response = try Oprc_InvocationResponse(serializedBytes: reply)
            #expect(response.status == .invalidRequest)
            #expect(try await runtime.worker("7", "add", "3").text == "3")
        }
    }

    @Test("the NATS server dies and comes back: agents re-subscribe by themselves; calls in the outage time out")
    func serverRestart() async throws {
        let server = try NATSServerProcess.start()
        defer { server.stop() }
        let agents = try makeAgentRuntime(busURL: server.url)
        let caller = try makeAgentRuntime(busURL: server.url, busTimeout: .milliseconds(300))
        try await withAgentRuntime(agents) { agents in
            try await withAgentRuntime(caller) { caller in
                try await agents.startAgent(AgentWorker.self, objectId: "r")
                #expect(agents.listAgents()["test.AgentWorker:r"]?.busLink == .connected)
                #expect(try await caller.worker("r", "add", "1").text == "1")
                server.kill()
                // The listing tells that calls cannot reach the agent now.
                #expect(try await eventually {
                    if case .reconnecting? = agents.listAgents()["test.AgentWorker:r"]?.busLink { true } else { false }
                })
                let started = ContinuousClock.now
                let outage = try #require(await #expect(throws: BusCallError.self) { try await caller.worker("r", "add", "1") })
                #expect(ContinuousClock.now - started < .seconds(2))
                #expect([BusCallError.Reason.timedOut(.milliseconds(300))].contains(outage.reason) || outage.code == "BUS_UNAVAILABLE",
                        "\(outage)")
                try server.restart()
                var recovered = false
                let deadline = ContinuousClock.now + .seconds(15)
                while !recovered, ContinuousClock.now < deadline {
                    recovered = (try? await caller.worker("r", "add", "1"))?.status == "okay"
                    if !recovered { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(recovered, "the agent did not come back after the NATS server restarted")
                #expect(agents.listAgents()["test.AgentWorker:r"]?.state == .serving)
                #expect(agents.listAgents()["test.AgentWorker:r"]?.busLink == .connected)
            }
        }
    }

    @Test("the server's max_payload: a request over it fails at once with a clear error; a result over it becomes a SYSTEM_ERROR reply")
    func maxPayload() async throws {
        let server = try NATSServerProcess.start(maxPayload: 4096)
        defer { server.stop() }
        try await withAgentRuntime(try makeAgentRuntime(busURL: server.url)) { runtime in
            try await runtime.startAgent(AgentWorker.self, objectId: "big")
            let huge = "\"" + String(repeating: "y", count: 5000) + "\""
            let error = try #require(await #expect(throws: BusCallError.self) { try await runtime.worker("big", "add", huge) })
            #expect(error.code == "BUS_UNAVAILABLE")
            #expect(error.message.contains("exceeds the bus limit of 4096 bytes"), "\(error.message)")

            let oversized = try await runtime.worker("big", "repeat", "10000")
            #expect(oversized.status == "systemError")
            #expect(oversized.text.contains("more than the bus carries (4096)"))
            #expect(try await runtime.worker("big", "repeat", "3").text == "xxx")
            #expect(runtime.listAgents()["test.AgentWorker:big"]?.lastError?.contains("more than the bus carries") == true)
        }
    }
}
