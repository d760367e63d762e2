import Foundation
@testable import OaasBus
import OaasLoop
import OaasTesting
import Testing

/// Servers given by name: `localhost`, a name the system resolver answers (from /etc/hosts, so
/// the tests need no name server), names that do not resolve, and a lookup cut short by
/// `close()` or the connect timeout. Each test's loop shuts down clean, so none leaks a lookup.
@Suite("NATS client: host names", .serialized)
struct NATSClientResolveTests {
    static let key = BusKey.function(classID: "math.Calculator", partition: 0, function: "add")

    @Test("a server given as localhost connects and round-trips a request", .timeLimit(.minutes(1)))
    func localhost() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: "nats://localhost:\(server.port)")
            #expect(try await client.connectedServer()?.address == "127.0.0.1:\(server.port)")
            _ = try await client.serve(Self.key) { ascii("sum of ") + $0.payload }.get()
            #expect(try await client.request(Self.key, ascii("1+2")).get() == ascii("sum of 1+2"))
            try await client.close()
        }
    }

    @Test("a server given by a name is resolved, connected, and found again after a restart", .timeLimit(.minutes(1)),
          .enabled(if: hostsFileName() != nil, "needs a name besides localhost in /etc/hosts"))
    func resolvedName() async throws {
        let (name, _) = try #require(hostsFileName())
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: "nats://\(name):\(server.port)")
            let caller = try await TestClient.connected(loop, servers: "nats://\(name):\(server.port)")
            #expect(try await agent.connectedServer()?.address == "\(name):\(server.port)")
            _ = try await agent.serve(Self.key) { ascii("sum of ") + $0.payload }.get()
            #expect(try await caller.request(Self.key, ascii("1+2")).get() == ascii("sum of 1+2"))

            // Each reconnect attempt resolves the name again.
            server.kill()
            #expect(try await agent.waitForState { if case .reconnecting = $0 { true } else { false } })
            try server.restart()
            #expect(try await agent.waitForState { $0 == .connected })
            #expect(try await caller.waitForState { $0 == .connected })
            #expect(try await eventually { (try? await caller.request(Self.key, ascii("3")).get()) == ascii("sum of 3") })
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("a name that does not exist fails the first connect with connectionFailed naming it, quickly", .timeLimit(.minutes(1)))
    func nonexistentName() async throws {
        try await withOwnedLoop { loop in
            let client = try TestClient.make(loop, servers: "nats://nonexistent.invalid:4222")
            let clock = ContinuousClock()
            let started = clock.now
            let failure = try await client.connect().failure
            // The lookup is bounded by connectTimeout (2 s) even where no name server answers.
            #expect(clock.now - started < .seconds(5))
            guard case .connectionFailed(let text)? = failure?.kind else {
                Issue.record("expected connectionFailed, got \(String(describing: failure))")
                return try await client.close()
            }
            #expect(text.contains("cannot resolve 'nonexistent.invalid'"), "\(text)")
            #expect(try await client.state() == .idle)
            try await client.close()
        }
    }

    @Test("a name that does not resolve is one failed attempt: the next server is tried", .timeLimit(.minutes(1)))
    func nextServerAfterUnresolvableName() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let logs = LoopBox<[String]>(loop, [])
            let client = try TestClient.make(loop, servers: "nats://nonexistent.invalid:4222,localhost:\(server.port)")
            try await loop.submit { client.box.value.onLog = { logs.value.append($0) } }
            try await client.connect().get()
            #expect(try await client.connectedServer()?.address == "127.0.0.1:\(server.port)")
            let lines: [String] = try await onLoop(loop) { finish in finish(logs.value) }
            #expect(lines.contains { $0.contains("cannot resolve 'nonexistent.invalid'") }, "\(lines)")
            try await client.close()
        }
    }

    @Test("close while the lookup is pending: connect fails with closed, close completes, nothing leaks", .timeLimit(.minutes(1)))
    func closeDuringLookup() async throws {
        try await withOwnedLoop { loop in
            // With every pool thread busy the lookup stays queued for as long as the test wants.
            let pool = try await BusyThreadPool.occupy(loop)
            defer { pool.release() }
            let client = try TestClient.make(loop, servers: "nats://queued.invalid:4222") { $0.connectTimeout = .seconds(30) }
            let connect = Task { try await client.connect() }
            #expect(try await client.waitForState { $0 == .connecting })
            try await client.close()
            #expect(try await connect.value.failure == BusError(.closed))
            #expect(try await client.state() == .closed)
            pool.release()
            // The cancelled lookup still ends in libuv; withOwnedLoop's clean shutdown shows
            // that it was freed and called no one.
        }
    }

    @Test("a lookup with no answer within connectTimeout is a failed attempt", .timeLimit(.minutes(1)))
    func lookupTimesOut() async throws {
        try await withOwnedLoop { loop in
            let pool = try await BusyThreadPool.occupy(loop)
            defer { pool.release() }
            let client = try TestClient.make(loop, servers: "nats://queued.invalid:4222") { $0.connectTimeout = .milliseconds(100) }
            let failure = try await client.connect().failure
            guard case .connectionFailed(let text)? = failure?.kind else {
                Issue.record("expected connectionFailed, got \(String(describing: failure))")
                return try await client.close()
            }
            #expect(text.contains("cannot resolve 'queued.invalid'") && text.contains("no answer within"), "\(text)")
            try await client.close()
        }
    }

    @Test("failover to a server the cluster announced by name", .timeLimit(.minutes(1)),
          .enabled(if: hostsFileName() != nil, "needs a name besides localhost in /etc/hosts"))
    func failoverToAnnouncedName() async throws {
        let (name, _) = try #require(hostsFileName())
        let first = try NATSServerProcess.start(cluster: true)
        defer { first.kill() }
        // The second server tells the cluster to announce it by name (its client port is kept).
        let second = try NATSServerProcess.start(routes: [try #require(first.clusterPort)],
                                                 extraArguments: ["--client_advertise", name])
        defer { second.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: first.url)
            #expect(try await eventually { try await agent.knownServers().contains("\(name):\(second.port)") },
                    "the cluster never announced the second server by name")
            _ = try await agent.serve(Self.key).get()
            first.kill()
            #expect(try await eventually { try await agent.connectedServer()?.address == "\(name):\(second.port)" })
            #expect(try await agent.waitForState { $0 == .connected })
            let caller = try await TestClient.connected(loop, servers: second.url)
            #expect(try await eventually { (try? await caller.request(Self.key).get()) == ascii("ping") })
            try await agent.close()
            try await caller.close()
        }
    }
}
