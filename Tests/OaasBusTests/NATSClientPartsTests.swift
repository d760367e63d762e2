@testable import OaasBus
import OaasTesting
import Testing

/// The NATS client's pure parts, in memory: deadline queue, inbox tokens, back-off, server pool.
@Suite("NATS client parts")
struct NATSClientPartsTests {
    @Test("the deadline queue hands out due entries earliest first, ties in token order")
    func deadlineOrder() {
        var queue = NATSDeadlineQueue()
        var random = SeededRandom(seed: 7)
        var expected: [NATSDeadlineQueue.Entry] = []
        for token in UInt64(1)...500 {
            let deadline = UInt64.random(in: 0..<100, using: &random)
            queue.insert(deadline: deadline, token: token)
            expected.append(.init(deadline: deadline, token: token))
        }
        expected.sort { ($0.deadline, $0.token) < ($1.deadline, $1.token) }
        #expect(queue.count == 500)
        var popped: [NATSDeadlineQueue.Entry] = []
        for now in UInt64(0)..<100 {
            while let entry = queue.popDue(now: now) {
                #expect(entry.deadline <= now)
                popped.append(entry)
            }
        }
        #expect(popped == expected)
        #expect(queue.isEmpty && queue.earliest == nil)
    }

    @Test("compaction keeps exactly the live entries, still in order")
    func deadlineCompaction() {
        var queue = NATSDeadlineQueue()
        for token in UInt64(1)...2000 { queue.insert(deadline: 5000 - token, token: token) }
        queue.compact { $0 % 10 == 0 }
        #expect(queue.count == 200)
        var tokens: [UInt64] = []
        while let entry = queue.popDue(now: .max) { tokens.append(entry.token) }
        #expect(tokens == Array(stride(from: UInt64(2000), through: 10, by: -10)))
    }

    @Test("inbox tokens round-trip; anything else is no token")
    func inboxTokens() {
        var random = SeededRandom(seed: 1)
        let inbox = NATSInbox(random: &random)
        #expect(inbox.base.hasPrefix("_INBOX.") && inbox.base.utf8.count == 7 + 22)
        #expect(inbox.wildcard == inbox.base + ".*")
        for token: UInt64 in [0, 1, 42, .max] {
            #expect(inbox.token(fromSubject: inbox.replySubject(token: token)) == token)
        }
        for subject in [inbox.base, inbox.base + ".", inbox.base + ".nope", inbox.base + ".12a", inbox.base + ".1.2",
                        inbox.base + ".18446744073709551616", inbox.base + "X.1", "_INBOX.other.1", "", "x"] {
            #expect(inbox.token(fromSubject: subject) == nil, "\(subject)")
        }
        #expect(NATSInbox().base != NATSInbox().base)
    }

    @Test("back-off: none at first, then doubling within the cap, jittered in the upper half")
    func backoff() {
        var random = SeededRandom(seed: 3)
        #expect(NATSReconnectBackoff.delay(level: 0, base: .milliseconds(50), max: .seconds(2), using: &random) == .zero)
        for (level, ceiling) in [(1, 50), (2, 100), (3, 200), (6, 1600), (7, 2000), (40, 2000), (1000, 2000)] {
            for _ in 0..<50 {
                let delay = NATSReconnectBackoff.delay(level: level, base: .milliseconds(50), max: .seconds(2), using: &random)
                #expect(delay >= .milliseconds(ceiling / 2) && delay <= .milliseconds(ceiling), "level \(level): \(delay)")
            }
        }
    }

    @Test("the pool: configured servers first, announced ones added once, rounds start after the current")
    func pool() throws {
        let configured = try NATSEndpoint.parseList("nats://u:p@127.0.0.1:4222,localhost:4223")
        var pool = NATSServerPool(configured: configured)
        #expect(pool.endpoints.map(NATSServerPool.identity) == ["127.0.0.1:4222", "127.0.0.1:4223"])
        let added = pool.addAnnounced(["127.0.0.1:4222", "127.0.0.1:4223", "127.0.0.1:4224", "nats.example:4225",
                                       "garbage:x", "[::1]:4226", "127.0.0.1:4224", "nats.example:4225"])
        #expect(added == 3)
        // Announced names are kept (they are resolved when dialled), each once.
        #expect(pool.endpoints.map(NATSServerPool.identity)
                == ["127.0.0.1:4222", "127.0.0.1:4223", "127.0.0.1:4224", "nats.example:4225", "[::1]:4226"])
        // Announced servers carry the configured credentials.
        #expect(pool.endpoints[2].user == "u" && pool.endpoints[2].password == "p")
        #expect(pool.endpoints[3].user == "u" && pool.endpoints[3].password == "p")
        #expect(pool.round(after: nil).map(\.port) == [4222, 4223, 4224, 4225, 4226])
        #expect(pool.round(after: pool.endpoints[1]).map(\.port) == [4224, 4225, 4226, 4222, 4223])
        #expect(pool.round(after: pool.endpoints[4]).map(\.port) == [4222, 4223, 4224, 4225, 4226])
        #expect(pool.hasAlternative(to: pool.endpoints[0]))
        let single = NATSServerPool(configured: try NATSEndpoint.parseList("nats://127.0.0.1:4222"))
        #expect(!single.hasAlternative(to: single.endpoints[0]))
    }

    @Test("configurations and server lists that cannot work are refused up front")
    func invalidConfiguration() async throws {
        try await withOwnedLoop { loop in
            for servers in ["", "nats://", "http://127.0.0.1:4222", "nats://nats example:4222", "nats://127.0.0.1:99999"] {
                #expect(throws: BusError.self, "\(servers)") { _ = try NATSClient(loop: loop, configuration: NATSClientConfiguration(servers: servers)) }
            }
            var configuration = NATSClientConfiguration(servers: "nats://127.0.0.1:4222")
            configuration.queueGroup = "two words"
            #expect(throws: BusError.self) { _ = try NATSClient(loop: loop, configuration: configuration) }
            configuration = NATSClientConfiguration(servers: "nats://127.0.0.1:4222")
            configuration.maxPingsOutstanding = 0
            #expect(throws: BusError.self) { _ = try NATSClient(loop: loop, configuration: configuration) }
            // IP literals, localhost and names are fine, and nothing happens (no handle, no
            // lookup) before connect().
            _ = try NATSClient(loop: loop, configuration: NATSClientConfiguration(servers: "nats://[::1]:4222,localhost,nats.example"))
        }
    }
}
