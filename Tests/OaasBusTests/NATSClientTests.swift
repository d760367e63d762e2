import Foundation
@testable import OaasBus
import OaasLoop
import OaasTesting
import Testing

/// The NATS client against a real nats-server (Debian's package). Each test starts its own
/// server(s) on ports of their choosing and its own loop, whose clean shutdown at the end
/// proves the client leaked no handle.
@Suite("NATS client against nats-server", .serialized)
struct NATSClientTests {
    static let key = BusKey.function(classID: "math.Calculator", partition: 0, function: "add")

    @Test("connect, serve, request: the reply comes back through the server", .timeLimit(.minutes(1)))
    func roundTrip() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url) { $0.name = "agent" }
            let caller = try await TestClient.connected(loop, servers: server.url)
            #expect(try await agent.state() == .connected)
            let info = try #require(try await agent.connectedServer())
            #expect(info.address == "127.0.0.1:\(server.port)")
            #expect(info.maxPayload == 1 << 20)
            #expect(info.version != nil)

            let subscription = try await agent.serve(Self.key) { request in
                #expect(request.key == Self.key)
                #expect(request.replyLimit == 1 << 20)
                return ascii("sum of ") + request.payload
            }.get()
            #expect(subscription.key == Self.key)

            #expect(try await caller.request(Self.key, ascii("1+2")).get() == ascii("sum of 1+2"))
            // The serving client can call itself too (echo is on).
            #expect(try await agent.request(Self.key, ascii("3")).get() == ascii("sum of 3"))
            // An empty payload and a large one (just under max_payload) survive intact.
            #expect(try await caller.request(Self.key, []).get() == ascii("sum of "))
            let large = (0..<(1 << 20) - 16).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let echoed = try await caller.request(Self.key, large).get()
            #expect(echoed.count == large.count + 7 && Array(echoed.dropFirst(7)) == large)

            let callerStats = try await caller.statistics()
            #expect(callerStats.messagesOut == 3)
            #expect(callerStats.messagesIn == 3)
            #expect(callerStats.droppedReplies == 0)
            let agentStats = try await agent.statistics()
            #expect(agentStats.messagesIn == 5)  // four requests served, one reply received
            try await agent.close()
            try await caller.close()
            #expect(try await agent.state() == .closed)
        }
    }

    @Test("serve and request made while the first connect is under way go out once it completes", .timeLimit(.minutes(1)))
    func callsDuringFirstConnect() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try TestClient.make(loop, servers: server.url)
            struct Outcome: Sendable {
                var states: [NATSClientState] = []
                var connected = false
                var ready = false
                var reply: Result<[UInt8], BusError>?
            }
            let outcome: Outcome = try await onLoop(loop) { finish in
                let nats = client.box.value
                var outcome = Outcome()
                nats.onStateChange = { outcome.states.append($0) }
                nats.connect { outcome.connected = (try? $0.get()) != nil }
                nats.serve(key: Self.key, handler: { $0.reply(ascii("early")) }, ready: { outcome.ready = (try? $0.get()) != nil })
                nats.request(key: Self.key, payload: [], timeout: .seconds(5)) { result in
                    outcome.reply = result
                    finish(outcome)
                }
            }
            #expect(outcome.states == [.connecting, .connected])
            #expect(outcome.connected && outcome.ready)
            #expect(try outcome.reply?.get() == ascii("early"))
            #expect(try await client.flush().failure == nil)
            try await client.close()
        }
    }

    @Test("a request without a reply subject is delivered; its reply is dropped and counted", .timeLimit(.minutes(1)))
    func requestWithoutReplySubject() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url)
            let other = try await TestClient.connected(loop, servers: server.url)
            let seen = LoopBox(loop, 0)
            _ = try await agent.serve(Self.key, seen: seen).get()
            try await other.publishRaw(subject: BusKey.subject(forKey: Self.key), payload: ascii("fire and forget"))
            #expect(try await eventually { try await agent.statistics().unaddressedReplies == 1 })
            #expect(try await onLoop(loop) { finish in finish(seen.value) } == 1)
            #expect(try await agent.state() == .connected)
            try await agent.close()
            try await other.close()
        }
    }

    @Test("a wildcard key serves every object of a class, each request with its own key", .timeLimit(.minutes(1)))
    func patternKey() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let pattern = BusKey.objectPattern(classID: "math.Calculator", partition: 0, function: "add")
            _ = try await client.serve(pattern) { ascii($0.key) }.get()
            let key = BusKey.object(classID: "math.Calculator", partition: 0, objectID: "obj.7", function: "add")
            #expect(try await client.request(key).get() == ascii(key))
            try await client.close()
        }
    }

    @Test("two servers of one key share its requests (queue group)", .timeLimit(.minutes(1)))
    func queueGroup() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let first = try await TestClient.connected(loop, servers: server.url)
            let second = try await TestClient.connected(loop, servers: server.url)
            let caller = try await TestClient.connected(loop, servers: server.url)
            let firstSeen = LoopBox(loop, 0)
            let secondSeen = LoopBox(loop, 0)
            _ = try await first.serve(Self.key, seen: firstSeen) { _ in ascii("first") }.get()
            _ = try await second.serve(Self.key, seen: secondSeen) { _ in ascii("second") }.get()

            // 200 requests in flight at once, all answered by one server or the other.
            let replies: [String] = try await onLoop(loop) { finish in
                var replies: [String] = []
                for index in 0..<200 {
                    caller.box.value.request(key: Self.key, payload: ascii("\(index)"), timeout: .seconds(5)) { result in
                        replies.append((try? String(decoding: result.get(), as: UTF8.self)) ?? "\(result)")
                        if replies.count == 200 { finish(replies) }
                    }
                }
            }
            #expect(replies.allSatisfy { $0 == "first" || $0 == "second" })
            let counts: (Int, Int) = try await onLoop(loop) { finish in finish((firstSeen.value, secondSeen.value)) }
            #expect(counts.0 + counts.1 == 200)
            #expect(counts.0 > 0 && counts.1 > 0, "one server got every request: \(counts)")
            try await first.close()
            try await second.close()
            try await caller.close()
        }
    }

    @Test("after stopServing, requests find no responders", .timeLimit(.minutes(1)))
    func stopServing() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url)
            let caller = try await TestClient.connected(loop, servers: server.url)
            let subscription = try await agent.serve(Self.key).get()
            #expect(try await caller.request(Self.key).get() == ascii("ping"))
            try await agent.stopServing(subscription)
            #expect(try await caller.request(Self.key).failure == BusError(.noResponders))
            // Stopping again, or a subscription never made, is ignored.
            try await agent.stopServing(subscription)
            try await agent.stopServing(BusSubscription(id: 999, key: "nope"))
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("a request nobody answers times out on time, and nothing hangs", .timeLimit(.minutes(1)))
    func timeout() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url)
            let caller = try await TestClient.connected(loop, servers: server.url)
            let seen = LoopBox(loop, 0)
            _ = try await agent.serve(Self.key, seen: seen) { _ in nil }.get()
            let (result, elapsed) = try await timed { try await caller.request(Self.key, timeout: .milliseconds(200)) }
            #expect(result.failure == BusError(.timedOut(.milliseconds(200))))
            #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(2), "timed out after \(elapsed)")

            // Many requests with mixed timeouts: each fails at its own deadline, in order.
            let order: [Int] = try await onLoop(loop) { finish in
                var order: [Int] = []
                for (index, milliseconds) in [300, 100, 200, 100, 50].enumerated() {
                    caller.box.value.request(key: Self.key, payload: [], timeout: .milliseconds(milliseconds)) { result in
                        if case .failure(let error) = result, error == BusError(.timedOut(.milliseconds(milliseconds))) {
                            order.append(index)
                        } else {
                            order.append(-1)
                        }
                        if order.count == 5 { finish(order) }
                    }
                }
            }
            #expect(order == [4, 1, 3, 2, 0])
            #expect(try await agent.statistics().messagesIn == 6)
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("a request for a key nobody serves fails at once with noResponders", .timeLimit(.minutes(1)))
    func noResponders() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let caller = try await TestClient.connected(loop, servers: server.url)
            let (result, elapsed) = try await timed { try await caller.request("oprc/nobody/0/invokes/f", timeout: .seconds(5)) }
            #expect(result.failure == BusError(.noResponders))
            #expect(elapsed < .seconds(1))
            try await caller.close()
        }
    }

    @Test("replies for unknown inbox tokens are dropped and counted; requests go on working", .timeLimit(.minutes(1)))
    func unknownInboxToken() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url)
            let caller = try await TestClient.connected(loop, servers: server.url)
            let slowKey = "oprc/slow/0/invokes/f"
            _ = try await agent.serve(Self.key).get()
            // The first request subscribes the inbox.
            #expect(try await caller.request(Self.key).get() == ascii("ping"))

            let prefix = try await caller.inboxPrefix()
            for subject in ["\(prefix).nope", "\(prefix).999999", "\(prefix).", "\(prefix).99999999999999999999999"] {
                try await agent.publishRaw(subject: subject, payload: ascii("forged"))
            }
            // A reply that comes after its request timed out is dropped the same way.
            _ = try await onLoop(loop) { (finish: @escaping @Sendable (Bool) -> Void) in
                agent.box.value.serve(key: slowKey, handler: { request in
                    loop.schedule(after: .milliseconds(150)) { request.reply(ascii("late")) }
                }, ready: { finish((try? $0.get()) != nil) })
            }
            #expect(try await caller.request(slowKey, timeout: .milliseconds(50)).failure == BusError(.timedOut(.milliseconds(50))))
            #expect(try await eventually { try await caller.statistics().droppedReplies == 4 })
            #expect(try await caller.request(Self.key, ascii("still")).get() == ascii("still"))
            #expect(try await caller.statistics().droppedReplies == 4)
            #expect(try await caller.state() == .connected)
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("payloads over the server's max_payload: requests fail at once, replies are dropped", .timeLimit(.minutes(1)))
    func payloadTooLarge() async throws {
        let server = try NATSServerProcess.start(maxPayload: 1024)
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url)
            let caller = try await TestClient.connected(loop, servers: server.url)
            #expect(try await caller.connectedServer()?.maxPayload == 1024)
            let limits = LoopBox(loop, [Int]())
            _ = try await agent.serve(Self.key) { request in
                request.payload == ascii("big reply") ? [UInt8](repeating: 1, count: 1025) : request.payload
            }.get()
            _ = try await onLoop(loop) { (finish: @escaping @Sendable (Bool) -> Void) in
                agent.box.value.serve(key: "oprc/limit/0/invokes/f", handler: { request in
                    limits.value.append(request.replyLimit)
                    request.reply([])
                }, ready: { finish((try? $0.get()) != nil) })
            }
            let (tooLarge, elapsed) = try await timed { try await caller.request(Self.key, [UInt8](repeating: 0, count: 2000)) }
            #expect(tooLarge.failure == BusError(.payloadTooLarge(size: 2000, limit: 1024)))
            #expect(elapsed < .milliseconds(500))
            #expect(try await caller.statistics().messagesOut == 0, "the oversized request was sent")
            // Exactly the limit is fine.
            let exact = [UInt8](repeating: 7, count: 1024)
            #expect(try await caller.request(Self.key, exact).get() == exact)
            // A reply over the limit is dropped by the agent (the caller times out).
            #expect(try await caller.request(Self.key, ascii("big reply"), timeout: .milliseconds(200)).failure
                    == BusError(.timedOut(.milliseconds(200))))
            #expect(try await agent.statistics().oversizedReplies == 1)
            _ = try await caller.request("oprc/limit/0/invokes/f").get()
            #expect(try await onLoop(loop) { finish in finish(limits.value) } == [1024])
            // Both connections survived.
            #expect(try await agent.state() == .connected)
            #expect(try await caller.statistics().reconnects == 0)
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("a wrong token is refused with authorizationFailed; the right one connects", .timeLimit(.minutes(1)))
    func tokenAuthorization() async throws {
        let server = try NATSServerProcess.start(token: "s3cret")
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let wrong = try TestClient.make(loop, servers: "nats://wrong@127.0.0.1:\(server.port)")
            #expect(try await wrong.connect().failure == BusError(.authorizationFailed("Authorization Violation")))
            #expect(try await wrong.state() == .idle)
            let none = try TestClient.make(loop, servers: server.url)
            #expect(try await none.connect().failure == BusError(.authorizationFailed("Authorization Violation")))

            let inURL = try await TestClient.connected(loop, servers: "nats://s3cret@127.0.0.1:\(server.port)")
            // The configuration's token overrides the URL's.
            let overridden = try await TestClient.connected(loop, servers: "nats://wrong@127.0.0.1:\(server.port)") { $0.token = "s3cret" }
            _ = try await inURL.serve(Self.key).get()
            #expect(try await overridden.request(Self.key).get() == ascii("ping"))
            for client in [wrong, none, inURL, overridden] { try await client.close() }
        }
    }

    @Test("a wrong user or password is refused with authorizationFailed; the right ones connect", .timeLimit(.minutes(1)))
    func passwordAuthorization() async throws {
        let server = try NATSServerProcess.start(user: "agent", password: "p@ss word")
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let port = server.port
            let wrongPassword = try TestClient.make(loop, servers: "nats://agent:nope@127.0.0.1:\(port)")
            #expect(try await wrongPassword.connect().failure == BusError(.authorizationFailed("Authorization Violation")))
            let wrongUser = try TestClient.make(loop, servers: "nats://127.0.0.1:\(port)") {
                $0.user = "someone"
                $0.password = "p@ss word"
            }
            #expect(try await wrongUser.connect().failure == BusError(.authorizationFailed("Authorization Violation")))

            let inURL = try await TestClient.connected(loop, servers: "nats://agent:p%40ss%20word@127.0.0.1:\(port)")
            let inConfiguration = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(port)") {
                $0.user = "agent"
                $0.password = "p@ss word"
            }
            _ = try await inURL.serve(Self.key).get()
            #expect(try await inConfiguration.request(Self.key).get() == ascii("ping"))
            for client in [wrongPassword, wrongUser, inURL, inConfiguration] { try await client.close() }
        }
    }

    @Test("a subscription the server's permissions refuse fails its ready; others work", .timeLimit(.minutes(1)))
    func subscriptionPermissions() async throws {
        let server = try NATSServerProcess.start(extraConfig: """
            authorization {
              users = [ { user: "agent", password: "pw", permissions: { subscribe: { deny: ["oprc.forbidden.>"] } } } ]
            }
            """)
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: "nats://agent:pw@127.0.0.1:\(server.port)")
            let refused = try await client.serve("oprc/forbidden/0/invokes/f")
            guard case .failure(let error) = refused, case .authorizationFailed(let text) = error.kind else {
                Issue.record("expected authorizationFailed, got \(refused)")
                return try await client.close()
            }
            #expect(text.contains("Permissions Violation for Subscription"))
            _ = try await client.serve(Self.key).get()
            #expect(try await client.request(Self.key).get() == ascii("ping"))
            #expect(try await client.state() == .connected)
            try await client.close()
        }
    }

    @Test("nothing listening: connect fails with connectionFailed naming each server", .timeLimit(.minutes(1)))
    func nothingListening() async throws {
        try await withOwnedLoop { loop in
            let ports: [Int] = try await onLoop(loop) { finish in
                let first = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { $0.close() }
                let second = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { $0.close() }
                let ports = [first.port, second.port]
                first.close { second.close { finish(ports) } }
            }
            let client = try TestClient.make(loop, servers: "nats://127.0.0.1:\(ports[0]),127.0.0.1:\(ports[1])")
            let failure = try await client.connect().failure
            guard case .connectionFailed(let text)? = failure?.kind else {
                Issue.record("expected connectionFailed, got \(String(describing: failure))")
                return try await client.close()
            }
            #expect(text.contains("127.0.0.1:\(ports[0])") && text.contains("127.0.0.1:\(ports[1])"))
            #expect(try await client.state() == .idle)
            // Calls before a connection fail clearly instead of waiting.
            #expect(try await client.request(Self.key).failure == NATSClient.notConnected)
            #expect(try await client.serve(Self.key).failure == NATSClient.notConnected)
            try await client.close()
            #expect(try await client.connect().failure == BusError(.closed))
        }
    }

    @Test("the first connect tries the servers in order and takes the first that works", .timeLimit(.minutes(1)))
    func firstWorkingServer() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let deadPort: Int = try await onLoop(loop) { finish in
                let probe = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { $0.close() }
                let port = probe.port
                probe.close { finish(port) }
            }
            let client = try await TestClient.connected(loop, servers: "nats://127.0.0.1:\(deadPort), nats://localhost:\(server.port)")
            #expect(try await client.connectedServer()?.address == "127.0.0.1:\(server.port)")
            try await client.close()
        }
    }

    @Test("server outage: requests time out meanwhile, then the client re-subscribes by itself", .timeLimit(.minutes(1)))
    func killAndRestart() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: server.url)
            let caller = try await TestClient.connected(loop, servers: server.url)
            let states = LoopBox(loop, [NATSClientState]())
            try await onLoop(loop) { finish in
                agent.box.value.onStateChange = { states.value.append($0) }
                finish(())
            }
            _ = try await agent.serve(Self.key).get()
            #expect(try await caller.request(Self.key).get() == ascii("ping"))

            server.kill()
            #expect(try await agent.waitForState { if case .reconnecting = $0 { true } else { false } })
            #expect(try await caller.waitForState { if case .reconnecting = $0 { true } else { false } })
            for _ in 0..<3 {
                let (result, elapsed) = try await timed { try await caller.request(Self.key, timeout: .milliseconds(200)) }
                #expect(result.failure == BusError(.timedOut(.milliseconds(200))))
                #expect(elapsed < .seconds(2))
            }

            try server.restart()
            #expect(try await agent.waitForState { $0 == .connected })
            #expect(try await caller.waitForState { $0 == .connected })
            // No call to serve again: the agent re-subscribed its key on reconnect.
            #expect(try await eventually { (try? await caller.request(Self.key, ascii("back")).get()) == ascii("back") })
            #expect(try await agent.statistics().reconnects == 1)
            #expect(try await caller.statistics().reconnects == 1)
            let seen = try await onLoop(loop) { finish in finish(states.value) }
            #expect(seen.first == .reconnecting(attempt: 1) && seen.last == .connected, "states: \(seen)")
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("requests made while reconnecting are held and sent after the reconnect", .timeLimit(.minutes(1)))
    func heldDuringReconnect() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            // The client serves the key itself: after the reconnect its SUBs go out before the
            // held publishes, so the held request is sure to find the server. (Another client
            // might reconnect later than the caller, and the request would find no responder.)
            let caller = try await TestClient.connected(loop, servers: server.url) { $0.reconnectBufferBytes = 200 }
            _ = try await caller.serve(Self.key).get()
            server.kill()
            #expect(try await caller.waitForState { if case .reconnecting = $0 { true } else { false } })
            // Past the reconnect buffer: refused at once.
            let (full, elapsed) = try await timed { try await caller.request(Self.key, [UInt8](repeating: 1, count: 300)) }
            #expect(full.failure == BusError(.connectionFailed("disconnected, reconnect buffer full")))
            #expect(elapsed < .milliseconds(500))
            // Within it: held, and answered once the server is back, well within its timeout.
            let held = Task { try await caller.request(Self.key, ascii("held"), timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(100))
            try server.restart()
            #expect(try await held.value.get() == ascii("held"))
            #expect(try await caller.statistics().reconnects == 1)
            try await caller.close()
        }
    }

    @Test("giving up after maxReconnectAttempts closes the client and fails what waits", .timeLimit(.minutes(1)))
    func giveUp() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let caller = try await TestClient.connected(loop, servers: server.url) { $0.maxReconnectAttempts = 3 }
            server.kill()
            let result = try await caller.request(Self.key, timeout: .seconds(30))
            guard case .connectionFailed(let text)? = result.failure?.kind else {
                Issue.record("expected connectionFailed, got \(result)")
                return try await caller.close()
            }
            #expect(text.contains("gave up reconnecting after 3 rounds"))
            #expect(try await caller.state() == .closed)
            #expect(try await caller.request(Self.key).failure == BusError(.closed))
            try await caller.close()
        }
    }

    @Test("failover: the client moves to a server the cluster announced", .timeLimit(.minutes(1)))
    func failoverToAnnouncedServer() async throws {
        let first = try NATSServerProcess.start(cluster: true)
        defer { first.kill() }
        let second = try NATSServerProcess.start(routes: [try #require(first.clusterPort)])
        defer { second.kill() }
        try await withOwnedLoop { loop in
            // Configured with the first server only: the second comes from INFO connect_urls.
            let agent = try await TestClient.connected(loop, servers: first.url)
            let caller = try await TestClient.connected(loop, servers: second.url)
            #expect(try await eventually { try await agent.knownServers().contains("127.0.0.1:\(second.port)") },
                    "the cluster never announced the second server")
            _ = try await agent.serve(Self.key).get()
            #expect(try await eventually { (try? await caller.request(Self.key).get()) == ascii("ping") })

            first.kill()
            #expect(try await eventually { try await agent.connectedServer()?.address == "127.0.0.1:\(second.port)" })
            #expect(try await agent.waitForState { $0 == .connected })
            #expect(try await eventually { (try? await caller.request(Self.key, ascii("again")).get()) == ascii("again") })
            #expect(try await agent.statistics().reconnects == 1)
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("lame-duck mode: the client leaves for another server before it is cut off", .timeLimit(.minutes(1)))
    func lameDuck() async throws {
        let first = try NATSServerProcess.start(cluster: true)
        defer { first.kill() }
        let second = try NATSServerProcess.start(routes: [try #require(first.clusterPort)])
        defer { second.kill() }
        try await withOwnedLoop { loop in
            let agent = try await TestClient.connected(loop, servers: first.url)
            #expect(try await eventually { try await agent.knownServers().contains("127.0.0.1:\(second.port)") })
            _ = try await agent.serve(Self.key).get()
            first.enterLameDuckMode()
            // The server's grace period before it closes clients is 10 s: moving sooner is ours.
            let clock = ContinuousClock()
            let start = clock.now
            let moved = try await eventually(within: .seconds(5)) {
                try await agent.connectedServer()?.address == "127.0.0.1:\(second.port)"
            }
            let elapsed = clock.now - start
            #expect(try await agent.waitForState { $0 == .connected })
            #expect(moved, "still on the lame-duck server")
            #expect(elapsed < .seconds(5))
            let caller = try await TestClient.connected(loop, servers: second.url)
            #expect(try await eventually { (try? await caller.request(Self.key).get()) == ascii("ping") })
            try await agent.close()
            try await caller.close()
        }
    }

    @Test("the server's keepalive PINGs are answered: the connection stays up", .timeLimit(.minutes(1)))
    func serverPingsAnswered() async throws {
        let server = try NATSServerProcess.start(extraConfig: "ping_interval: \"100ms\"\nping_max: 1")
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await client.state() == .connected)
            #expect(try await client.statistics().reconnects == 0)
            #expect(try await client.statistics().serverErrors == 0)
            try await client.close()
        }
    }

    @Test("close fails pending requests with closed, then every call fails; the loop shuts down clean", .timeLimit(.minutes(1)))
    func closeWithPendingRequests() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url) { $0.pingInterval = .milliseconds(50) }
            _ = try await client.serve(Self.key) { _ in nil }.get()
            let outcome: ([BusError?], [String]) = try await onLoop(loop) { finish in
                let nats = client.box.value
                var failures: [BusError?] = []
                var order: [String] = []
                for _ in 0..<3 {
                    nats.request(key: Self.key, payload: [], timeout: .seconds(30)) { result in
                        failures.append(result.failure)
                        order.append("request")
                    }
                }
                nats.close {
                    order.append("closed")
                    finish((failures, order))
                }
                // A second close waits for the same end.
                nats.close { order.append("closed again") }
            }
            #expect(outcome.0 == [BusError(.closed), BusError(.closed), BusError(.closed)])
            #expect(outcome.1 == ["request", "request", "request", "closed"])
            #expect(try await client.request(Self.key).failure == BusError(.closed))
            #expect(try await client.serve(Self.key).failure == BusError(.closed))
            #expect(try await client.flush().failure == BusError(.closed))
            #expect(try await client.state() == .closed)
            try await client.close()
        }
    }

    @Test("closing while reconnecting releases everything", .timeLimit(.minutes(1)))
    func closeWhileReconnecting() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            _ = try await client.serve(Self.key).get()
            server.kill()
            #expect(try await client.waitForState { if case .reconnecting = $0 { true } else { false } })
            let pending = Task { try await client.request(Self.key, timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(100))
            try await client.close()
            #expect(try await pending.value.failure == BusError(.closed))
        }
    }
}
