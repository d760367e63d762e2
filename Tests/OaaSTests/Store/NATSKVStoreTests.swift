import Foundation
@testable import OaaS
import OaasLoop
import OaasBus
import OaasProto
import OaasTesting
import Testing

/// The NATS key-value store against real nats-server processes with JetStream.
@Suite("NATS key-value store", .serialized)
struct NATSKVStoreTests {
    /// Opens a store on a dispatch thread: opening blocks while it connects, and blocking
    /// the cooperative pool (two threads here) would stall the suites running beside this one.
    private func open(_ server: NATSServerProcess, bucket: String = "objects", timeout: Duration = .seconds(2)) async throws -> any ObjectStore {
        try await Self.offPool("nats-kv://127.0.0.1:\(server.port)/\(bucket)",
                               config: try OaasConfig(busRequestTimeout: timeout, busConnectTimeout: .seconds(2), environment: [:]))
    }

    private static func offPool(_ url: String, config: OaasConfig) async throws -> any ObjectStore {
        let opened: Result<UncheckedBox, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { UncheckedBox(try ObjectStores.open(url, config: config)) })
            }
        }
        return try opened.get().store
    }

    // 400 calls here keep the suite light beside the others (sanitizer runs); the interop
    // test drives 1,000 through two real processes.
    @Test("two processes' stores on one bucket: 400 concurrent adds on one object, the value equals the OKAY answers exactly")
    func sharedObject() async throws {
        let nats = try NATSServerProcess.start(jetStream: true)
        let first = try await open(nats)
        let second = try await open(nats)
        let one = try makeRuntime(store: first)
        let other = try makeRuntime(store: second)
        let okay = LockedValue(0)
        try await withServer(one, asyncMode: true) { (firstClient: OaasClient, _: Int) async throws in
            try await withServer(other, asyncMode: false) { (secondClient: OaasClient, _: Int) async throws in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<400 {
                        let client = index.isMultiple(of: 2) ? firstClient : secondClient
                        group.addTask {
                            let response = try await client.counter("shared", "add", "1")
                            if response.status == .okay { okay.withLock { $0 += 1 } }
                        }
                    }
                    try await group.waitForAll()
                }
                // Each process's read is current although the other wrote last: an unchanged
                // call checks the revision it read.
                for client in [firstClient, secondClient] {
                    let total = try await client.counter("shared", "get")
                    #expect(total.status == .okay)
                    #expect(total.payload.text == String(okay.withLock { $0 }))
                }
                #expect(okay.withLock { $0 } >= 360, "most calls should win within their attempts")
            }
        }
        let fresh = try await open(nats)
        let stored = try await fresh.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "shared"))
        // A third process's view: what the bucket holds.
        #expect(stored?.entries["0"].map { String(decoding: $0, as: UTF8.self) } == String(okay.withLock { $0 }))
        await fresh.close()
        let listed = try await first.identities(classID: "test.Counter")
        #expect(listed.map(\.objectID) == ["shared"])
        await first.close()
        await second.close()
    }

    @Test("objects outlive the store, and a state larger than the server's max payload is refused with nothing written")
    func persistenceAndTooLarge() async throws {
        let nats = try NATSServerProcess.start(maxPayload: 4096, jetStream: true)
        let store = try await open(nats)
        try await withServer(try makeRuntime(store: store), asyncMode: false) { (client: OaasClient, _: Int) async throws in
            #expect(try await client.counter("big", "rename", "\"small\"").status == .okay)
            let huge = "\"" + String(repeating: "x", count: 10_000) + "\""
            let refused = try await client.counter("big", "rename", huge)
            #expect(refused.status == .systemError)
            #expect(refused.payload.text.contains("max payload"))
            #expect(try await client.counter("big", "label").payload.text == "small")
        }
        await store.close()
        let reopened = try await open(nats)
        try await withServer(try makeRuntime(store: reopened), asyncMode: true) { (client: OaasClient, _: Int) async throws in
            #expect(try await client.counter("big", "label").payload.text == "small")
        }
        await reopened.close()
    }

    @Test("nats-server killed under load: calls fail while it is away, nothing acknowledged is lost, service resumes by itself")
    func serverRestart() async throws {
        let nats = try NATSServerProcess.start(jetStream: true)
        let store = try await open(nats, timeout: .milliseconds(500))
        let okay = LockedValue(0)
        let failed = LockedValue(0)
        try await withServer(try makeRuntime(store: store), asyncMode: false) { (client: OaasClient, _: Int) async throws in
            func burst(_ count: Int) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<count {
                        group.addTask {
                            let response = try await client.counter("survivor", "add", "1")
                            if response.status == .okay { okay.withLock { $0 += 1 } } else { failed.withLock { $0 += 1 } }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await burst(50)
            nats.kill()
            let started = ContinuousClock.now
            try await burst(20)
            #expect(failed.withLock { $0 } > 0)
            #expect(ContinuousClock.now - started < .seconds(15), "calls while the server is away must fail, not hang")
            try nats.restart()
            let resumed = try await eventually(within: .seconds(20)) {
                try await client.counter("survivor", "add", "0").status == .okay
            }
            #expect(resumed)
            try await burst(50)
            let total = try await client.counter("survivor", "get")
            let value = Int(total.payload.text) ?? -1
            // Acknowledged adds all count; a timed-out one may have landed too.
            #expect(value >= okay.withLock { $0 })
            #expect(value <= 120)
        }
        await store.close()
    }

    @Test("an unreachable server or a newer schema refuses the store at open, naming it")
    func openFailures() async throws {
        await #expect {
            try await Self.offPool("nats-kv://127.0.0.1:1/objects", config: try OaasConfig(environment: [:]))
        } throws: { error in
            "\(error)".contains("nats-kv://127.0.0.1:1/objects")
        }
        let nats = try NATSServerProcess.start(jetStream: true)
        let store = try await open(nats, bucket: "future")
        await store.close()
        // A newer runtime marks the bucket with schema 2.
        let loop = try EventLoop.startOwned()
        defer { loop.shutdown() }
        let marked: Bool = await withCheckedContinuation { continuation in
            try? loop.execute {
                let client = try! NATSClient(loop: loop, configuration: NATSClientConfiguration(servers: nats.url))
                client.connect { _ in
                    let kv = try! JetStreamKeyValue(client: client, options: KVBucketOptions(bucket: "future"))
                    kv.open { _ in
                        kv.get("oaas-schema") { entry in
                            let revision = (try? entry.get())??.revision ?? 0
                            kv.update("oaas-schema", value: Array("2".utf8), expectedRevision: revision) { result in
                                client.close { continuation.resume(returning: (try? result.get()) != nil) }
                            }
                        }
                    }
                }
            }
        }
        #expect(marked)
        await #expect {
            try await open(nats, bucket: "future")
        } throws: { error in
            "\(error)".contains("newer runtime (schema 2")
        }
    }
}

/// A store handed across the dispatch thread that opened it. Any thread.
private struct UncheckedBox: @unchecked Sendable {
    let store: any ObjectStore
    init(_ store: any ObjectStore) { self.store = store }
}
