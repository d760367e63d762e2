import Foundation
import OaasLoop
import OaasTesting
import Testing

@Suite("Host resolution")
struct ResolveTests {
    /// What one `resolve` call produced, and whether it answered before returning.
    struct Outcome: Sendable {
        var result: Result<[SocketAddress], LoopError>
        var answeredAtOnce: Bool
    }

    /// Resolves on the loop thread and waits for the answer.
    private func resolve(_ loop: EventLoop, _ host: String, port: Int = 4222,
                         timeout: Duration? = .seconds(5)) async throws -> Outcome {
        try await onLoop(loop) { finish in
            let returned = LoopBox(loop, false)
            loop.resolve(host: host, port: port, timeout: timeout) { result in
                finish(Outcome(result: result, answeredAtOnce: !returned.value))
            }
            returned.value = true
        }
    }

    @Test("IP literals and localhost answer at once, without the resolver", arguments: [
        ("localhost", "127.0.0.1", false),
        ("127.0.0.1", "127.0.0.1", false),
        ("10.1.2.3", "10.1.2.3", false),
        ("0.0.0.0", "0.0.0.0", false),
        ("::1", "::1", true),
        ("2001:db8::7", "2001:db8::7", true),
    ])
    func literals(host: String, expected: String, isIPv6: Bool) async throws {
        try await withOwnedLoop { loop in
            let outcome = try await resolve(loop, host, port: 4222)
            #expect(outcome.answeredAtOnce)
            let addresses = try outcome.result.get()
            #expect(addresses.map(\.host) == [expected])
            #expect(addresses.allSatisfy { $0.port == 4222 && $0.isIPv6 == isIPv6 })
        }
    }

    // Skipped (and reported as skipped) when /etc/hosts names nothing but localhost: no other
    // name has an answer known without a name server.
    @Test("a name from /etc/hosts resolves through getaddrinfo on the thread pool", .timeLimit(.minutes(1)),
          .enabled(if: hostsFileName() != nil, "needs a name besides localhost in /etc/hosts"))
    func nameFromHostsFile() async throws {
        let (name, address) = try #require(hostsFileName())
        try await withOwnedLoop { loop in
            let outcome = try await resolve(loop, name, port: 8080)
            #expect(!outcome.answeredAtOnce)
            let addresses = try outcome.result.get()
            #expect(addresses.contains { $0.host == address && $0.port == 8080 }, "\(name): \(addresses)")
            #expect(Set(addresses).count == addresses.count, "answers are de-duplicated")
        }
    }

    @Test("a name that cannot exist fails with a clear error, bounded in time", .timeLimit(.minutes(1)))
    func nonexistentName() async throws {
        try await withOwnedLoop { loop in
            // RFC 6761 reserves .invalid: the answer is NXDOMAIN. A machine whose name server
            // does not answer at all gets EAI_AGAIN or the timeout instead, never a hang.
            let started = ContinuousClock.now
            let outcome = try await resolve(loop, "nonexistent.invalid", timeout: .seconds(5))
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(!outcome.answeredAtOnce)
            guard case .failure(let error) = outcome.result else {
                Issue.record("nonexistent.invalid resolved: \(outcome.result)")
                return
            }
            #expect([.hostNotFound, .nameServerUnavailable, .timedOut].contains(error.code), "\(error)")
            #expect(error.description.contains("nonexistent.invalid"), "\(error)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test("malformed hosts and ports are refused at once", arguments: [
        ("", 80),
        ("two words", 80),
        ("tab\there", 80),
        ("good\u{0}evil.example", 80),
        ("newline\n.example", 80),
        (String(repeating: "a", count: 300), 80),
        ("localhost", -1),
        ("nats.example", 65_536),
    ])
    func malformed(host: String, port: Int) async throws {
        try await withOwnedLoop { loop in
            let outcome = try await resolve(loop, host, port: port)
            #expect(outcome.answeredAtOnce)
            guard case .failure(let error) = outcome.result else {
                Issue.record("'\(host)' resolved: \(outcome.result)")
                return
            }
            #expect(error.code == .invalidArgument, "\(error)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test("a lookup queued behind a busy thread pool times out and is withdrawn; the loop closes clean",
          .timeLimit(.minutes(1)))
    func queuedLookupTimesOut() async throws {
        try await withOwnedLoop { loop in
            let pool = try await BusyThreadPool.occupy(loop)
            defer { pool.release() }
            let outcome = try await resolve(loop, "queued.invalid", timeout: .milliseconds(100))
            guard case .failure(let error) = outcome.result else {
                Issue.record("resolved through a busy pool: \(outcome.result)")
                return
            }
            #expect(error.code == .timedOut, "\(error)")
            #expect(error.description.contains("queued.invalid"))
            // withOwnedLoop's clean shutdown proves the withdrawn request was freed: libuv
            // still calls back once (EAI_CANCELED), and a request never called back would
            // keep the loop from closing.
        }
    }

    @Test("cancelled lookups never call back, queued or running, and leak nothing",
          .timeLimit(.minutes(1)))
    func cancelled() async throws {
        let calls = LockedCounter()
        try await withOwnedLoop { loop in
            // Queued: withdrawn from the pool by uv_cancel.
            let pool = try await BusyThreadPool.occupy(loop)
            defer { pool.release() }
            let stillPending = try await loop.submit { () -> Bool in
                let resolution = loop.resolve(host: "queued.invalid", port: 1) { _ in calls.increment() }
                let wasPending = resolution.isPending
                resolution.cancel()
                resolution.cancel()
                return wasPending && !resolution.isPending
            }
            #expect(stillPending)
            pool.release()
            // Running (or finished by the time cancel runs): its answer is dropped unread.
            for host in ["nonexistent.invalid", hostsFileName()?.name ?? "localhost.invalid"] {
                try await loop.submit {
                    loop.resolve(host: host, port: 1) { _ in calls.increment() }.cancel()
                }
            }
            // A lookup submitted after the cancelled ones ends after them on a pool this
            // empty; its answer means theirs have come back (and been dropped) too, or soon
            // will: the clean shutdown below waits for any that have not.
            _ = try await resolve(loop, "nonexistent.invalid")
        }
        #expect(calls.value == 0)
    }

    @Test("a lookup still running when the loop stops is waited for and answers; nothing leaks",
          .timeLimit(.minutes(1)))
    func loopStopsDuringLookup() async throws {
        let calls = LockedCounter()
        try await withOwnedLoop { loop in
            try await loop.submit {
                _ = loop.resolve(host: "nonexistent.invalid", port: 1, timeout: .seconds(5)) { _ in calls.increment() }
            }
            // Returning here stops the loop with the lookup in flight.
        }
        #expect(calls.value == 1)
    }
}

/// A counter bumped on the loop thread and read by the test afterwards.
final class LockedCounter: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
