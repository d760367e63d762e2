import Foundation
@testable import OaasBus
import OaasLoop
import OaasTesting
import Testing

/// ``JetStreamKeyValue`` against a real nats-server 2.9.10 with JetStream (file storage in
/// the fixture's private directory). Each test starts its own server and loop.
@Suite("JetStream key-value against nats-server", .serialized)
struct JetStreamKeyValueTests {
    private func jetStreamServer(maxPayload: Int? = nil) throws -> NATSServerProcess {
        try NATSServerProcess.start(maxPayload: maxPayload, jetStream: true)
    }

    /// The stream's configuration as the server reports it.
    private func streamConfig(_ client: TestClient, _ stream: String) async throws -> [String: Any] {
        let reply = try await client.rawRequest("$JS.API.STREAM.INFO.\(stream)", payload: []).get()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any])
        return try #require(json["config"] as? [String: Any])
    }

    @Test("open creates the bucket's stream, and opening again, from another client too, binds to it", .timeLimit(.minutes(1)))
    func openCreatesAndBinds() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let first = try await TestClient.connected(loop, servers: server.url)
            let second = try await TestClient.connected(loop, servers: server.url)
            let a = try await TestBucket.make(first)
            let b = try await TestBucket.make(second)
            // Both at once: one creates, the other finds it (or loses the create and reads it).
            async let openedA = a.open()
            async let openedB = b.open()
            #expect(try await openedA.failure == nil)
            #expect(try await openedB.failure == nil)
            #expect(try await a.open().failure == nil)
            #expect(try await TestBucket.opened(second).open().failure == nil)

            let config = try await streamConfig(first, "KV_objects")
            #expect(config["subjects"] as? [String] == ["$KV.objects.>"])
            #expect(config["max_msgs_per_subject"] as? Int == 1)
            #expect(config["storage"] as? String == "file")
            #expect(config["discard"] as? String == "new")
            #expect(config["allow_direct"] as? Bool == true)
            #expect(config["deny_delete"] as? Bool == true)
            #expect(config["allow_rollup_hdrs"] as? Bool == true)

            // Written through one client, read through the other.
            let revision = try await a.update("k", ascii("v"), expected: 0).get()
            #expect(try await b.get("k").get()?.revision == revision)
            try await first.close()
            try await second.close()
        }
    }

    @Test("absent key, create with 0, update with the returned revision, stale revisions lose with the actual one", .timeLimit(.minutes(1)))
    func compareAndSet() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let bucket = try await TestBucket.opened(client)
            let key = "o.math=2ECalculator.obj-1"
            #expect(try await bucket.get(key).get() == nil)

            let first = try await bucket.update(key, ascii("one"), headers: fields(["Content-Type": "application/json"]), expected: 0).get()
            #expect(try await bucket.get(key).get()
                == KVEntry(key: key, revision: first, operation: .put, value: ascii("one"), headers: fields(["Content-Type": "application/json"])))
            let second = try await bucket.update(key, ascii("two"), expected: first).get()
            #expect(second > first)
            #expect(try await bucket.get(key).get() == KVEntry(key: key, revision: second, operation: .put, value: ascii("two")))

            #expect(try await bucket.update(key, ascii("stale"), expected: first).failure == KVError(.wrongLastSequence(actual: second)))
            #expect(try await bucket.update(key, ascii("again"), expected: 0).failure == KVError(.wrongLastSequence(actual: second)))
            #expect(try await bucket.update("never", ascii("x"), expected: 7).failure == KVError(.wrongLastSequence(actual: 0)))
            #expect(try await bucket.get(key).get()?.value == ascii("two"))
            // An empty value is a value.
            let empty = try await bucket.update(key, [], expected: second).get()
            #expect(try await bucket.get(key).get() == KVEntry(key: key, revision: empty, operation: .put, value: []))
            try await client.close()
        }
    }

    @Test("two clients racing compare-and-set on one key: exactly one wins each round", .timeLimit(.minutes(1)))
    func racingWriters() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let clients = [try await TestClient.connected(loop, servers: server.url), try await TestClient.connected(loop, servers: server.url)]
            let buckets = [try await TestBucket.opened(clients[0]), try await TestBucket.opened(clients[1])]
            var revision = try await buckets[0].update("counter", ascii("0"), expected: 0).get()
            for round in 1...25 {
                let seen = try #require(try await buckets[round % 2].get("counter").get())
                #expect(seen.revision == revision)
                async let left = buckets[0].update("counter", ascii("L\(round)"), expected: seen.revision)
                async let right = buckets[1].update("counter", ascii("R\(round)"), expected: seen.revision)
                let results = [try await left, try await right]
                let wins = results.compactMap { try? $0.get() }
                #expect(wins.count == 1, "round \(round): \(results)")
                guard let winner = wins.first else { break }
                #expect(results.contains { $0.failure == KVError(.wrongLastSequence(actual: winner)) })
                let stored = try #require(try await buckets[0].get("counter").get())
                #expect(stored.revision == winner)
                #expect(stored.value == ((try? results[0].get()) == winner ? ascii("L\(round)") : ascii("R\(round)")))
                revision = winner
            }
            for client in clients { try await client.close() }
        }
    }

    @Test("a delete leaves a marker with its revision; a write on top expects that revision", .timeLimit(.minutes(1)))
    func deleteMarkers() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let bucket = try await TestBucket.opened(client)
            let put = try await bucket.update("k", ascii("v"), expected: 0).get()
            #expect(try await bucket.delete("k", expected: put + 5).failure == KVError(.wrongLastSequence(actual: put)))
            let deleted = try await bucket.delete("k", expected: put).get()
            #expect(try await bucket.get("k").get() == KVEntry(key: "k", revision: deleted, operation: .delete, value: []))
            #expect(try await bucket.update("k", ascii("back"), expected: 0).failure == KVError(.wrongLastSequence(actual: deleted)))
            let back = try await bucket.update("k", ascii("back"), expected: deleted).get()
            #expect(try await bucket.get("k").get() == KVEntry(key: "k", revision: back, operation: .put, value: ascii("back")))
            // Unconditional delete, twice: each writes a marker.
            let again = try await bucket.delete("k", expected: nil).get()
            let twice = try await bucket.delete("k", expected: nil).get()
            #expect(twice > again)
            #expect(try await bucket.get("k").get()?.operation == .delete)
            try await client.close()
        }
    }

    @Test("values over max_payload or the bucket's maxValueSize are refused unsent; the old value stays", .timeLimit(.minutes(1)))
    func tooLarge() async throws {
        let server = try jetStreamServer(maxPayload: 4096)
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let bucket = try await TestBucket.opened(client)
            let revision = try await bucket.update("k", ascii("small"), expected: 0).get()
            let before = try await client.statistics().messagesOut
            let failure = try await bucket.update("k", [UInt8](repeating: 1, count: 4096), expected: revision).failure
            guard case .payloadTooLarge(let size, let limit)? = failure?.kind else {
                Issue.record("expected payloadTooLarge, got \(String(describing: failure))")
                return
            }
            #expect(limit == 4096 && size > 4096)
            #expect(try await client.statistics().messagesOut == before)
            #expect(try await bucket.get("k").get()?.value == ascii("small"))

            let limited = try await TestBucket.opened(client, bucket: "limited") { $0.maxValueSize = 256 }
            let config = try await streamConfig(client, "KV_limited")
            #expect(config["max_msg_size"] as? Int == 256)
            let small = try await limited.update("k", ascii("ok"), expected: 0).get()
            guard case .payloadTooLarge(_, 256)? = try await limited.update("k", [UInt8](repeating: 2, count: 250), expected: small).failure?.kind else {
                Issue.record("expected payloadTooLarge against maxValueSize")
                return
            }
            #expect(try await limited.get("k").get()?.value == ascii("ok"))
            try await client.close()
        }
    }

    @Test("invalid keys and reserved or broken header fields are refused without sending", .timeLimit(.minutes(1)))
    func invalidInput() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let bucket = try await TestBucket.opened(client)
            let before = try await client.statistics().messagesOut
            for key in ["", ".", "a.", ".a", "a..b", "a b", "a*", "a.>", "ü", "a\r\nPUB x 1"] {
                let results = [try await bucket.get(key).map { _ in () }, try await bucket.update(key, [], expected: 0).map { _ in () },
                               try await bucket.delete(key, expected: nil).map { _ in () }, try await bucket.keys(key).map { _ in () }]
                for result in results {
                    guard case .invalidKey? = result.failure?.kind else {
                        Issue.record("key \(key.debugDescription): \(result)")
                        continue
                    }
                }
            }
            for field in [NATSHeader(name: "KV-Operation", value: "PURGE"), NATSHeader(name: "Nats-Expected-Last-Subject-Sequence", value: "9"),
                          NATSHeader(name: "Nats-Rollup", value: "all"), NATSHeader(name: "X", value: "a\r\nb"), NATSHeader(name: "a b", value: "c")] {
                guard case .invalidHeader? = try await bucket.update("k", [], headers: [field], expected: 0).failure?.kind else {
                    Issue.record("header \(field) was not refused")
                    continue
                }
            }
            #expect(try await client.statistics().messagesOut == before)
            try await client.close()
        }
    }

    @Test("keys lists live keys under whole-token prefixes, deleted ones left out", .timeLimit(.minutes(1)))
    func listKeys() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let bucket = try await TestBucket.opened(client)
            #expect(try await bucket.keys(nil).get() == [])
            for key in ["o.A.1", "o.A.2", "o.A.3", "o.AB.1", "o.B.1", "o.A", "p.x"] {
                _ = try await bucket.update(key, ascii(key), expected: 0).get()
            }
            let three = try #require(try await bucket.get("o.A.3").get())
            _ = try await bucket.delete("o.A.3", expected: three.revision).get()
            #expect(try await bucket.keys("o.A").get() == ["o.A.1", "o.A.2"])
            #expect(try await bucket.keys("o").get() == ["o.A", "o.A.1", "o.A.2", "o.AB.1", "o.B.1"])
            #expect(try await bucket.keys(nil).get() == ["o.A", "o.A.1", "o.A.2", "o.AB.1", "o.B.1", "p.x"])
            #expect(try await bucket.keys("o.C").get() == [])
            // More keys than the check window, so reads go out in several waves.
            for index in 0..<150 { _ = try await bucket.update("many.k\(index)", [], expected: 0).get() }
            #expect(try await bucket.keys("many").get().count == 150)
            try await client.close()
        }
    }

    @Test("server killed: operations fail within their timeout; restarted on its store: reconnects, data kept, writes work", .timeLimit(.minutes(1)))
    func serverRestart() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let bucket = try await TestBucket.opened(client) { $0.timeout = .milliseconds(500) }
            let revision = try await bucket.update("kept", ascii("before the crash"), expected: 0).get()

            server.kill()
            let (results, took) = try await timed {
                [try await bucket.get("kept").map { _ in UInt64(0) }, try await bucket.update("kept", ascii("lost"), expected: revision),
                 try await bucket.delete("kept", expected: nil)]
            }
            for result in results {
                #expect(result.failure?.kind.isOutage == true, "\(result)")
            }
            #expect(took < .seconds(3), "three operations of 500 ms took \(took)")

            try server.restart()
            #expect(try await client.waitForState { $0 == .connected })
            // JetStream may need a moment after the listener is up to have the stream back.
            #expect(try await eventually { (try? await bucket.get("kept").get()) != nil })
            #expect(try await bucket.get("kept").get() == KVEntry(key: "kept", revision: revision, operation: .put, value: ascii("before the crash")))
            let after = try await bucket.update("kept", ascii("after"), expected: revision).get()
            #expect(after > revision)
            #expect(try await bucket.get("kept").get()?.value == ascii("after"))
            #expect(try await client.statistics().reconnects >= 1)
            try await client.close()
        }
    }

    @Test("a server without JetStream, a bucket not opened, a stream that is not a bucket", .timeLimit(.minutes(1)))
    func unusable() async throws {
        let plain = try NATSServerProcess.start()
        defer { plain.kill() }
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let noJetStream = try await TestClient.connected(loop, servers: plain.url)
            let bucket = try await TestBucket.make(noJetStream)
            guard case .unavailable? = try await bucket.open().failure?.kind else {
                Issue.record("open without JetStream should be unavailable")
                return
            }
            guard case .unavailable? = try await bucket.get("k").failure?.kind else {
                Issue.record("get on an unopened bucket should be unavailable")
                return
            }
            try await noJetStream.close()

            let client = try await TestClient.connected(loop, servers: server.url)
            let create = #"{"name":"KV_foreign","subjects":["foreign.>"],"storage":"memory"}"#
            _ = try await client.rawRequest("$JS.API.STREAM.CREATE.KV_foreign", payload: ascii(create)).get()
            guard case .incompatibleStream? = try await TestBucket.make(client, bucket: "foreign").open().failure?.kind else {
                Issue.record("a stream with other subjects should be incompatible")
                return
            }
            try await client.close()
        }
    }

    @Test("a bucket stream made elsewhere without direct gets is read with stream message gets", .timeLimit(.minutes(1)))
    func withoutDirectGets() async throws {
        let server = try jetStreamServer()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let create = #"{"name":"KV_old","subjects":["$KV.old.>"],"max_msgs_per_subject":5,"storage":"file","allow_direct":false}"#
            _ = try await client.rawRequest("$JS.API.STREAM.CREATE.KV_old", payload: ascii(create)).get()
            let bucket = try await TestBucket.opened(client, bucket: "old")
            #expect(try await bucket.get("k").get() == nil)
            let first = try await bucket.update("k", ascii("v1"), headers: fields(["X-A": "1"]), expected: 0).get()
            #expect(try await bucket.get("k").get() == KVEntry(key: "k", revision: first, operation: .put, value: ascii("v1"), headers: fields(["X-A": "1"])))
            let deleted = try await bucket.delete("k", expected: first).get()
            #expect(try await bucket.get("k").get() == KVEntry(key: "k", revision: deleted, operation: .delete, value: []))
            #expect(try await bucket.keys(nil).get() == [])
            try await client.close()
        }
    }
}
