import Foundation
@testable import OaaS
import OaasLoop
import OaasProto
import Testing

/// One call at a time per object, in arrival order; different objects concurrently; a bound
/// on waiting calls; compare-and-set commits.
@Suite("Per-object ordering and limits", .serialized)
struct ObjectConcurrencyTests {
    @Test("1,000 concurrent add 1 on one object through the gRPC server lose nothing", arguments: [false, true])
    func thousandConcurrentAdds(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            // yieldingAdd suspends between its read and its write: without per-object
            // ordering, concurrent calls would overwrite each other's increments.
            try await withThrowingTaskGroup(of: Oprc_InvocationResponse.self) { group in
                for _ in 0..<1_000 {
                    group.addTask { try await client.counter("hot", "yieldingAdd", "1") }
                }
                for try await response in group {
                    #expect(response.status == .okay)
                }
            }
            #expect(try await client.counter("hot", "get").payload.text == "1000")
        }
    }

    @Test("calls of one object run in arrival order, even when each one suspends", arguments: [false, true])
    func arrivalOrder(asyncMode: Bool) async throws {
        let runtime = try makeRuntime(mock: true)
        try runtime.startServer(asyncMode: asyncMode)
        let handler = try #require(runtime.runningHandler)
        let transfer = UncheckedTransfer(handler)
        // All 50 calls arrive in one loop turn, in index order; each appends its index after a
        // suspension, so any reordering or overlap shows in the final label.
        let replies = try await handler.loop.submit { () -> Int in
            for index in 0..<50 {
                var request = Oprc_ObjectInvocationRequest()
                request.clsID = "test.Counter"
                request.objectIDStr = "ordered"
                request.fnID = "append"
                request.payload = Data("\"\(index),\"".utf8)
                transfer.value.invokeObject(request) { _ in }
            }
            return transfer.value.callsInFlight
        }
        #expect(replies == 50)
        while runtime.serverInfo.callsInFlight > 0 { try await Task.sleep(for: .milliseconds(2)) }
        let expected = (0..<50).map { "\($0)," }.joined()
        #expect(try await runtime.counter("ordered", "label").payload.text == expected)
        try await runtime.stopServer()
    }

    @Test("beyond the bound of waiting calls, a call fails at once with SYSTEM_ERROR overloaded")
    func overloaded() async throws {
        let runtime = try makeRuntime(maxPending: 4)
        try await withServer(runtime, asyncMode: true) { (client: OaasClient, _: Int) async throws in
            let responses = try await withThrowingTaskGroup(of: Oprc_InvocationResponse.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.counter("busy", "slowAdd", "1") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let succeeded = responses.filter { $0.status == .okay }.count
            let overloaded = responses.filter { $0.status == .systemError }
            #expect(succeeded + overloaded.count == 40)
            #expect(overloaded.count > 0)
            #expect(overloaded.allSatisfy { $0.payload.text.contains("overloaded") })
            // Nothing lost: the stored count is exactly the number of successes.
            #expect(try await client.counter("busy", "get").payload.text == String(succeeded))
        }
    }

    @Test("different objects run concurrently")
    func differentObjectsOverlap() async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: true) { (client: OaasClient, _: Int) async throws in
            OverlapGauge.naps.reset()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for object in 0..<20 {
                    group.addTask { _ = try await client.counter("o\(object)", "countedNap", "100") }
                }
                try await group.waitForAll()
            }
            // Counted inside the method, so a busy machine slowing the test down cannot fake or
            // hide it: calls to one object would never overlap.
            #expect(OverlapGauge.naps.peakSeen > 1)
        }
    }

    @Test("the store's compare-and-set refuses a stale commit")
    func compareAndSet() throws {
        let store = InMemoryObjectStore()
        let id = ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "1")
        #expect(try store.commitNow(id, entries: ["0": Data("1".utf8)], expectedVersion: 0) == 1)
        #expect(throws: ObjectStoreError(object: id, reason: .conflict(expected: 0, actual: 1))) {
            try store.commitNow(id, entries: ["0": Data("2".utf8)], expectedVersion: 0)
        }
        #expect(try store.commitNow(id, entries: ["0": Data("3".utf8)], expectedVersion: 1) == 2)
        #expect(store.loadNow(id) == StoredObject(entries: ["0": Data("3".utf8)], version: 2))
    }

    @Test("versions never repeat: a commit based on a load from before a delete fails after a re-creation")
    func deleteKeepsVersions() async throws {
        let store = InMemoryObjectStore()
        let id = ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "1")
        _ = try store.commitNow(id, entries: ["0": Data("1".utf8)], expectedVersion: 0)
        let stale = try #require(store.loadNow(id))
        #expect(try await store.delete(id))
        #expect(store.count == 0)
        let tombstone = try #require(store.loadNow(id))
        #expect(tombstone.entries.isEmpty && tombstone.version == 2)
        _ = try store.commitNow(id, entries: ["0": Data("9".utf8)], expectedVersion: tombstone.version)
        #expect(throws: ObjectStoreError.self) {
            try store.commitNow(id, entries: ["0": Data("2".utf8)], expectedVersion: stale.version)
        }
        #expect(store.loadNow(id)?.entries["0"] == Data("9".utf8))
        let deletedAgain = try await store.delete(id)
        let deletedTwice = try await store.delete(id)
        #expect(deletedAgain && !deletedTwice)
    }

    @Test("a call that loses the race on every run answers SYSTEM_ERROR naming the conflict, and leaves the winner's state")
    func conflictingActivation() async throws {
        let store = RacingStore()
        let runtime = try makeRuntime(store: store)
        try await withServer(runtime, asyncMode: false) { (client: OaasClient, _: Int) async throws in
            let response = try await client.counter("race", "add", "1")
            #expect(response.status == .systemError)
            #expect(response.payload.text.contains("was changed by another process or loop each time this call ran (10 attempts)"))
        }
        let stored = try await store.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "race"))
        #expect(stored?.entries["0"]?.text == "100")
    }
}

extension ObjectConcurrencyTests {
    @Test("a call that loses one race runs again on the winner's state, and both updates count", arguments: [false, true])
    func conflictThenRetry(asyncMode: Bool) async throws {
        let store = RacingOnceStore()
        let runtime = try makeRuntime(store: store)
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            let response = try await client.counter("retry", "add", "1")
            #expect(response.status == .okay)
            // The winner wrote 100; the retried add(1) ran on it.
            #expect(response.payload.text == "101")
        }
        let stored = try await store.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "retry"))
        #expect(stored?.entries["0"]?.text == "101")
        #expect(store.loads.withLock { $0 } == 3)  // two runs, and the check above
    }
}

/// A store where another activation commits between every load and the caller's commit.
final class RacingStore: ObjectStore, @unchecked Sendable {
    let inner = InMemoryObjectStore()

    func load(_ object: ObjectIdentity) async throws -> StoredObject? {
        let loaded = inner.loadNow(object)
        _ = try inner.commitNow(object, entries: ["0": Data("100".utf8)], expectedVersion: loaded?.version ?? 0)
        return loaded
    }

    func commit(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) async throws -> UInt64 {
        try inner.commitNow(object, entries: entries, expectedVersion: expectedVersion)
    }

    func delete(_ object: ObjectIdentity) async throws -> Bool { try await inner.delete(object) }

    func identities(classID: String?) async throws -> [ObjectIdentity] { try await inner.identities(classID: classID) }
}

/// A store where another process commits between the first load and commit of each object,
/// once: the call's first run loses the race, its second wins.
final class RacingOnceStore: ObjectStore, @unchecked Sendable {
    let inner = InMemoryObjectStore()
    private let raced = LockedValue<Set<ObjectIdentity>>([])
    /// Loads seen, so a test can count the runs.
    let loads = LockedValue(0)

    func load(_ object: ObjectIdentity) async throws -> StoredObject? {
        loads.withLock { $0 += 1 }
        let loaded = inner.loadNow(object)
        if raced.withLock({ $0.insert(object).inserted }) {
            _ = try inner.commitNow(object, entries: ["0": Data("100".utf8)], expectedVersion: loaded?.version ?? 0)
        }
        return loaded
    }

    func commit(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) async throws -> UInt64 {
        try inner.commitNow(object, entries: entries, expectedVersion: expectedVersion)
    }

    func delete(_ object: ObjectIdentity) async throws -> Bool { try await inner.delete(object) }

    func identities(classID: String?) async throws -> [ObjectIdentity] { try await inner.identities(classID: classID) }
}

@Suite("Object identity")
struct ObjectIdentityTests {
    @Test("ids compare by UTF-8 bytes: canonically equivalent spellings are different objects")
    func bytewiseEquality() {
        let composed = ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "\u{00FC}")
        let decomposed = ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "u\u{0308}")
        #expect(composed.objectID == decomposed.objectID)  // Swift's String equality merges them
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(composed == ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "\u{00FC}"))
        #expect(composed != ObjectIdentity(classID: "a.B", partitionID: 1, objectID: "\u{00FC}"))
        // Field boundaries count: ("ab", "c") is not ("a", "bc").
        let left = ObjectIdentity(classID: "ab", partitionID: 0, objectID: "c")
        let right = ObjectIdentity(classID: "a", partitionID: 0, objectID: "bc")
        #expect(left != right && left.hashValue != right.hashValue)
    }
}
