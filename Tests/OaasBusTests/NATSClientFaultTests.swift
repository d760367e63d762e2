@testable import OaasBus
import OaasLoop
import OaasTesting
import Testing

/// The NATS client against a scripted fake server, for faults a real server does not produce
/// on demand. Each test's loop must shut down clean.
@Suite("NATS client against a misbehaving server")
struct NATSClientFaultTests {
    /// Starts a fake server on the loop; its box lives until `closeFake`.
    private func startFake(_ loop: EventLoop, infoJSON: String? = nil,
                           script: @escaping @Sendable (Int) -> FakeNATSServer.Script) async throws -> LoopBox<FakeNATSServer?> {
        try await onLoop(loop) { finish in
            finish(LoopBox(loop, try FakeNATSServer(loop: loop, infoJSON: infoJSON, script: script)))
        }
    }

    private func port(_ fake: LoopBox<FakeNATSServer?>, _ loop: EventLoop) async throws -> Int {
        try await onLoop(loop) { finish in finish(fake.value!.port) }
    }

    private func closeFake(_ fake: LoopBox<FakeNATSServer?>, _ loop: EventLoop) async throws {
        try await onLoop(loop) { finish in
            fake.value!.close {
                fake.value = nil
                finish(())
            }
        }
    }

    private func accepted(_ fake: LoopBox<FakeNATSServer?>, _ loop: EventLoop) async throws -> Int {
        try await onLoop(loop) { finish in finish(fake.value!.accepted) }
    }

    @Test("garbage from the server after the handshake: counted, connection replaced, no crash", .timeLimit(.minutes(1)))
    func garbage() async throws {
        try await withOwnedLoop { loop in
            // The first connection turns to garbage; the second behaves.
            let fake = try await startFake(loop) { $0 == 0 ? .send(ascii("MSG oops\r\n\u{0}\u{1}\u{2} garbage\r\n")) : .behave }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))")
            #expect(try await eventually { try await client.statistics().reconnects == 1 })
            let statistics = try await client.statistics()
            #expect(statistics.protocolErrors == 1)
            #expect(try await client.state() == .connected)
            #expect(try await accepted(fake, loop) == 2)
            try await client.close()
            try await closeFake(fake, loop)
        }
    }

    @Test("garbage on every connection: the client keeps backing off and never crashes", .timeLimit(.minutes(1)))
    func garbageForever() async throws {
        try await withOwnedLoop { loop in
            let fake = try await startFake(loop) { _ in .send(ascii("XYZZY\r\n")) }
            let started = ContinuousClock.now
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))")
            try await Task.sleep(for: .milliseconds(600))
            let statistics = try await client.statistics()
            let attempts = try await accepted(fake, loop)
            let elapsed = ContinuousClock.now - started
            #expect(statistics.protocolErrors >= 2)
            // Back-off (20 ms doubling to 250 ms, each pause at least half of that) allows about
            // 5 attempts in the first 150 ms and then one per 125 ms at most; a busy loop would
            // make thousands. Bounded by the time that really passed, as a loaded machine may
            // sleep far longer than asked.
            let bound = 6 + Int(elapsed / .milliseconds(100))
            #expect(attempts < bound, "\(attempts) attempts in \(elapsed)")
            try await client.close()
            try await closeFake(fake, loop)
        }
    }

    @Test("a garbled INFO fails the attempt, not the process", .timeLimit(.minutes(1)))
    func garbledInfo() async throws {
        try await withOwnedLoop { loop in
            let fake = try await startFake(loop, infoJSON: "{not json") { _ in .behave }
            let client = try TestClient.make(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))")
            let failure = try await client.connect().failure
            guard case .connectionFailed(let text)? = failure?.kind else {
                Issue.record("expected connectionFailed, got \(String(describing: failure))")
                return
            }
            #expect(text.contains("INFO"))
            try await client.close()
            try await closeFake(fake, loop)
        }
    }

    @Test("the server's PINGs get PONGs", .timeLimit(.minutes(1)))
    func serverPing() async throws {
        try await withOwnedLoop { loop in
            let fake = try await startFake(loop) { _ in .send(ascii("PING\r\nPING\r\n")) }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))")
            #expect(try await eventually { try await onLoop(loop) { finish in finish(fake.value!.pongsReceived) } == 2 })
            #expect(try await client.state() == .connected)
            try await client.close()
            try await closeFake(fake, loop)
        }
    }

    @Test("a server that stops answering pings is stale: the client reconnects", .timeLimit(.minutes(1)))
    func staleConnection() async throws {
        try await withOwnedLoop { loop in
            let fake = try await startFake(loop) { $0 == 0 ? .ignorePings : .behave }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))") {
                $0.pingInterval = .milliseconds(50)
                $0.maxPingsOutstanding = 2
            }
            #expect(try await eventually { try await client.statistics().reconnects == 1 })
            // Two pings unanswered, then the third interval found the connection stale.
            #expect(try await onLoop(loop) { finish in finish(fake.value!.pingsReceived) } >= 3)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.statistics().reconnects == 1, "the healthy connection was dropped too")
            try await client.close()
            try await closeFake(fake, loop)
        }
    }

    @Test("a fatal -ERR after the handshake makes the client reconnect", .timeLimit(.minutes(1)))
    func fatalServerError() async throws {
        try await withOwnedLoop { loop in
            let fake = try await startFake(loop) { $0 == 0 ? .send(ascii("-ERR 'Stale Connection'\r\n")) : .behave }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))")
            #expect(try await eventually { try await client.statistics().reconnects == 1 })
            #expect(try await client.statistics().serverErrors == 1)
            #expect(try await client.waitForState { $0 == .connected })
            try await client.close()
            try await closeFake(fake, loop)
        }
    }

    @Test("a lame-duck INFO moves the client to an announced server", .timeLimit(.minutes(1)))
    func lameDuckInfo() async throws {
        try await withOwnedLoop { loop in
            let target = try await startFake(loop) { _ in .behave }
            let targetPort = try await port(target, loop)
            let announce = #"{"server_id":"A","proto":1,"headers":true,"max_payload":1048576,"connect_urls":["127.0.0.1:\#(targetPort)"]}"#
            let leaving = try await startFake(loop, infoJSON: announce) { _ in
                .send(ascii(#"INFO {"server_id":"A","proto":1,"headers":true,"max_payload":1048576,"ldm":true}"# + "\r\n"))
            }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(leaving, loop))")
            #expect(try await eventually { try await client.connectedServer()?.address == "127.0.0.1:\(targetPort)" })
            #expect(try await client.waitForState { $0 == .connected })
            #expect(try await client.knownServers().count == 2)
            try await client.close()
            try await closeFake(leaving, loop)
            try await closeFake(target, loop)
        }
    }

    @Test("a server that sends nothing fails the handshake after connectTimeout", .timeLimit(.minutes(1)))
    func silentServer() async throws {
        try await withOwnedLoop { loop in
            // Accepts, reads, and never says a word.
            let (listener, port): (LoopBox<TCPListener?>, Int) = try await onLoop(loop) { finish in
                let listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { connection in
                    connection.onRead = { event in
                        switch event {
                        case .bytes: break
                        case .endOfStream, .failed: connection.close()
                        }
                    }
                    connection.startReading()
                }
                finish((LoopBox(loop, Optional(listener)), listener.port))
            }
            let client = try TestClient.make(loop, servers: "nats://127.0.0.1:\(port)") { $0.connectTimeout = .milliseconds(200) }
            let (result, elapsed) = try await timed { try await client.connect() }
            guard case .connectionFailed(let text)? = result.failure?.kind else {
                Issue.record("expected connectionFailed, got \(result)")
                return
            }
            #expect(text.contains("no NATS handshake"))
            #expect(elapsed < .seconds(2))
            try await client.close()
            try await onLoop(loop) { finish in
                listener.value!.close { finish(()) }
            }
            // The accepted socket closes once the client's end is gone.
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("a connection cut under a pending request: it still ends, by its timeout", .timeLimit(.minutes(1)))
    func cutUnderPendingRequest() async throws {
        try await withOwnedLoop { loop in
            let fake = try await startFake(loop) { _ in .behave }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(try await port(fake, loop))")
            let pending = Task { try await client.request("oprc/x/0/invokes/f", timeout: .milliseconds(300)) }
            try await Task.sleep(for: .milliseconds(50))
            try await onLoop(loop) { finish in
                fake.value!.dropConnections()
                finish(())
            }
            #expect(try await pending.value.failure == BusError(.timedOut(.milliseconds(300))))
            #expect(try await eventually { try await client.statistics().reconnects == 1 })
            try await client.close()
            try await closeFake(fake, loop)
        }
    }
}
