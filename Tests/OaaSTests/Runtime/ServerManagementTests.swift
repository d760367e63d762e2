import Foundation
import OaaS
import OaasLoop
import OaasProto
import OaasTesting
import Testing

@Suite("Server management", .serialized)
struct ServerManagementTests {
    @Test("start twice, stop twice: the design's ServerError texts")
    func lifecycleErrors() throws {
        let runtime = try makeRuntime()
        #expect(!runtime.isServerRunning)
        #expect(throws: ServerError(.notRunning)) { try runtime.stopServer() }
        try runtime.startServer(port: 0)
        #expect(runtime.isServerRunning)
        #expect(throws: ServerError(.alreadyRunning)) { try runtime.startServer(port: 0) }
        #expect(ServerError(.alreadyRunning).message == "gRPC server is already running")
        try runtime.stopServer()
        #expect(!runtime.isServerRunning)
        #expect(throws: ServerError(.notRunning)) { try runtime.stopServer() }
        #expect(ServerError(.notRunning).message == "gRPC server is not running")
    }

    @Test("a taken port fails the start, and the server is really not running")
    func portTaken() throws {
        let first = try makeRuntime()
        try first.startServer(port: 0)
        defer { try? first.stopServer() }
        let port = try #require(first.serverInfo.port)
        let second = try makeRuntime()
        do {
            try second.startServer(port: port)
            Issue.record("a second server bound port \(port)")
        } catch {
            #expect(error.message.hasPrefix("Failed to start gRPC server: "))
            #expect(error.message.contains("EADDRINUSE") || error.message.contains("in use"), "\(error.message)")
        }
        #expect(!second.isServerRunning)
        #expect(second.serverInfo.running == false)
        #expect(throws: ServerError(.notRunning)) { try second.stopServer() }
        // The failure left nothing behind: the same runtime starts on a free port.
        try second.startServer(port: 0)
        try second.stopServer()
    }

    @Test("serverInfo reports the bound port, handler, services, uptime")
    func serverInfo() throws {
        let runtime = try makeRuntime()
        let stopped = runtime.serverInfo
        #expect(stopped == ServerInfo(running: false, port: nil, asyncMode: nil, mockMode: false,
                                      registeredServices: 1, uptime: nil, callsInFlight: 0))
        try runtime.startServer(port: 0)
        let info = runtime.serverInfo
        #expect(info.running)
        #expect((info.port ?? 0) > 0)
        #expect(info.asyncMode == false)
        #expect(info.registeredServices == 1)
        #expect(info.uptime != nil)
        #expect(openSocketsTouching(port: info.port!) >= 1)
        try runtime.stopServer()
        #expect(openSocketsTouching(port: info.port!) == 0)
    }

    @Test("restartServer keeps the port the previous server bound; asyncMode applies")
    func restartKeepsPort() throws {
        let runtime = try makeRuntime()
        try runtime.startServer(port: 0)
        let port = try #require(runtime.serverInfo.port)
        try runtime.restartServer(asyncMode: true)
        #expect(runtime.serverInfo.port == port)
        #expect(runtime.serverInfo.asyncMode == true)
        try runtime.stopServer()
        try runtime.restartServer()
        #expect(runtime.serverInfo.port == port)
        try runtime.stopServer()
    }

    @Test("a caller's loop gets the async handler; without one, the sync handler; asyncMode overrides")
    func handlerChoice() async throws {
        let runtime = try makeRuntime()
        try runtime.startServer(port: 0)
        #expect(runtime.serverInfo.asyncMode == false)
        try await runtime.stopServer()
        try runtime.startServer(port: 0, asyncMode: true)
        #expect(runtime.serverInfo.asyncMode == true)
        try await runtime.stopServer()
        try await withOwnedLoop { loop in
            try runtime.startServer(port: 0, loop: loop)
            #expect(runtime.serverInfo.asyncMode == true)
            let client = try OaasClient(port: runtime.serverInfo.port!)
            #expect(try await client.counter("l", "add", "2").payload.text == "2")
            await client.close()
            try await runtime.stopServer()
            try runtime.startServer(port: 0, loop: loop, asyncMode: false)
            #expect(runtime.serverInfo.asyncMode == false)
            try await runtime.stopServer()
        }
    }

    @Test("mock mode binds nothing and serves in-process against the in-memory store")
    func mockMode() async throws {
        let runtime = try makeRuntime(mock: true)
        try runtime.startServer(port: 0)
        let info = runtime.serverInfo
        #expect(info.running && info.mockMode && info.port == nil)
        #expect(try await runtime.counter("m", "add", "2").payload.text == "2")
        #expect(try await runtime.counter("m", "add", "3").payload.text == "5")
        try await runtime.stopServer()
        await #expect(throws: ServerError(.notRunning)) { try await runtime.counter("m", "get") }
    }

    @Test("stopServer drains: calls in flight finish and commit before it returns")
    func drainCommitsInFlight() async throws {
        let runtime = try makeRuntime()
        try runtime.startServer(port: 0, asyncMode: true)
        let client = try OaasClient(port: runtime.serverInfo.port!)
        let calls = Task {
            try await withThrowingTaskGroup(of: Oprc_InvocationResponse.self) { group in
                for _ in 0..<200 { group.addTask { try await client.counter("d", "slowAdd", "1") } }
                return try await group.reduce(into: [Oprc_InvocationResponse]()) { $0.append($1) }
            }
        }
        // Let calls reach the server and queue on the object, then stop underneath them.
        while runtime.serverInfo.callsInFlight < 20 { try await Task.sleep(for: .milliseconds(1)) }
        try await runtime.stopServer()
        let stored = try await runtime.store.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "d"))
        let committed = Int(stored?.entries["0"]?.text ?? "0") ?? 0
        let responses = (try? await calls.value) ?? []
        let succeeded = responses.filter { $0.status == .okay }.count
        // Every call the server answered OKAY is committed, and nothing was still running.
        #expect(committed >= 20)
        #expect(succeeded <= committed)
        #expect(runtime.serverInfo.callsInFlight == 0)
        await client.close()
    }

    @Test("at the drain deadline, calls still waiting for their object fail with SYSTEM_ERROR over gRPC; the running one finishes and commits")
    func drainDeadline() async throws {
        let runtime = try makeRuntime(drain: .milliseconds(150))
        try runtime.startServer(port: 0, asyncMode: true)
        let client = try OaasClient(port: runtime.serverInfo.port!)
        defer { Task { await client.close() } }
        let calls = Task {
            try await withThrowingTaskGroup(of: Oprc_InvocationResponse.self) { group in
                // One call in flight for 400 ms, two queued behind it on the same object.
                for _ in 0..<3 { group.addTask { try await client.counter("slow", "nap", "400") } }
                return try await group.reduce(into: [Oprc_InvocationResponse]()) { $0.append($1) }
            }
        }
        while runtime.serverInfo.callsInFlight < 3 { try await Task.sleep(for: .milliseconds(1)) }
        let started = ContinuousClock.now
        try await runtime.stopServer()
        // stopServer waited for the running call, well past the 170 ms deadline.
        #expect(ContinuousClock.now - started > .milliseconds(250))
        let responses = try await calls.value
        let abandoned = responses.filter { $0.status == .systemError }
        #expect(abandoned.count == 2)
        #expect(abandoned.allSatisfy { $0.payload.text.contains("stopped before this call could run") })
        #expect(responses.filter { $0.status == .okay }.map(\.payload.text) == ["1"])
        let stored = try await runtime.store.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "slow"))
        #expect(stored?.entries["0"]?.text == "1")
    }

    @Test("a call still running after the whole stop budget does not crash the process when it resumes")
    func callOutlivesStop() async throws {
        let runtime = try makeRuntime(mock: true, drain: .milliseconds(50))
        try runtime.startServer(asyncMode: true)
        let call = Task { try await runtime.counter("late", "offLoopWait", "1400") }
        while runtime.serverInfo.callsInFlight < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let started = ContinuousClock.now
        try await runtime.stopServer()
        // Returned after the budget (2 x 50 ms + 20 ms + 1 s), before the call ended.
        #expect(ContinuousClock.now - started < .milliseconds(1_350))
        let response = try await call.value
        #expect(response.status == .okay)
        #expect(response.payload.text == "1")
        // The runtime left its loop up for the call, and can start again.
        try runtime.startServer()
        try await runtime.stopServer()
    }

    @Test("calls whose client gave up while they waited are dropped, not run")
    func abandonedCallsAreDropped() async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: true) { (client: OaasClient, _: Int) async throws in
            let slow = Task { try await client.counter("gone", "nap", "300") }
            while runtime.serverInfo.callsInFlight < 1 { try await Task.sleep(for: .milliseconds(1)) }
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        _ = try? await client.invoke("test.Counter", objectID: "gone", function: "add",
                                                     payload: Array("1".utf8), timeout: .milliseconds(50))
                    }
                }
            }
            #expect(try await slow.value.payload.text == "1")
            // Only the slow call changed the object: the 20 timed-out adds never ran.
            #expect(try await client.counter("gone", "get").payload.text == "1")
        }
    }

    @Test("a call that changes nothing does not create its object")
    func readOnlyCallCreatesNothing() async throws {
        let runtime = try makeRuntime(mock: true)
        try runtime.startServer()
        #expect(try await runtime.counter("fresh", "get").payload.text == "0")
        #expect((runtime.store as! InMemoryObjectStore).count == 0)
        #expect(try await runtime.counter("fresh", "add", "0").payload.text == "0")
        #expect((runtime.store as! InMemoryObjectStore).count == 0)
        try await runtime.stopServer()
    }

    @Test("stopServer on the server's own loop thread refuses instead of deadlocking")
    func stopOnLoopThread() async throws {
        let runtime = try makeRuntime()
        try await withOwnedLoop { loop in
            try runtime.startServer(port: 0, loop: loop)
            let refusal = try await loop.submit { () -> String? in
                do {
                    try runtime.stopServer()
                    return nil
                } catch {
                    return (error as? ServerError)?.message
                }
            }
            #expect(refusal?.contains("own loop thread") == true)
            #expect(runtime.isServerRunning)
            try await runtime.stopServer()
        }
    }

    @Test("getGlobalOaas() drives the same server")
    func legacyEngine() throws {
        let engine = getGlobalOaas()
        #expect(engine.mockMode == oaas.config.mockMode)
        #expect(throws: ServerError(.notRunning)) { try engine.stopServer() }
    }
}

@Suite("Starting on a loop that does not answer")
struct StalledLoopTests {
    @Test("a start withdrawn after its timeout never runs later", .timeLimit(.minutes(1)))
    func withdrawnStart() async throws {
        struct Findings: Sendable {
            var setupError: String?
            var startError: ServerError?
            var handlesOpenedByWithdrawnStart = 0
            var loopEndedClean = false
            var serverRunning = true
        }
        let runtime = try makeRuntime()
        // An embedded loop belongs to the thread that made it, and an async test may resume on
        // any thread, so the loop lives on a thread of its own. Waiting there for the whole 10 s
        // start timeout also keeps that wait off the cooperative pool the other tests share.
        let findings: Findings = await withCheckedContinuation { continuation in
            Thread {
                var findings = Findings()
                let loop: EventLoop
                do {
                    loop = try EventLoop.makeEmbedded(name: "stalled")
                } catch {
                    findings.setupError = "\(error)"
                    continuation.resume(returning: findings)
                    return
                }
                let handlesBefore = loop.openHandleCount
                // Called from another thread while nobody runs the loop: the start times out.
                let outcome = LockedValue<Result<Void, ServerError>?>(nil)
                Thread {
                    let result: Result<Void, ServerError>
                    do throws(ServerError) { try runtime.startServer(port: 0, loop: loop); result = .success(()) } catch { result = .failure(error) }
                    outcome.withLock { $0 = result }
                }.start()
                while outcome.withLock({ $0 }) == nil { Thread.sleep(forTimeInterval: 0.05) }
                if case .failure(let error) = outcome.withLock({ $0 }) { findings.startError = error }
                // Now the loop runs what was queued: the withdrawn start must not open a listener.
                _ = loop.runOnce(waitForEvents: false)
                findings.handlesOpenedByWithdrawnStart = loop.openHandleCount - handlesBefore
                loop.stop(gracePeriod: .milliseconds(100))
                findings.loopEndedClean = loop.run().isClean
                findings.serverRunning = runtime.isServerRunning
                continuation.resume(returning: findings)
            }.start()
        }
        try #require(findings.setupError == nil, "no embedded loop: \(findings.setupError ?? "")")
        #expect(findings.startError?.message.contains("did not answer") == true)
        #expect(findings.handlesOpenedByWithdrawnStart == 0)
        #expect(findings.loopEndedClean)
        #expect(!findings.serverRunning)
    }
}
