import Foundation
@testable import OaaS
import OaasLoop
import OaasProto
import Testing

/// A durable file in memory: transactional batches with compare-and-set, a switch that makes
/// writes fail, and a gate that holds writes until opened.
final class FakeDurableFile: DurableObjectFile, @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk full (injected)" }
    }

    private let rows = LockedValue<[ObjectIdentity: StoredObject]>([:])
    let failing = LockedValue(false)
    let gate = LockedValue<DispatchSemaphore?>(nil)
    let batches = LockedValue<[Int]>([])

    var location: String { "fake" }

    func read(_ object: ObjectIdentity) throws -> StoredObject? { rows.withLock { $0[object] } }

    func write(_ batch: [DurableWrite]) throws -> [DurableWriteOutcome] {
        if let gate = gate.withLock({ $0 }) { gate.wait(); gate.signal() }
        if failing.withLock({ $0 }) { throw Failure() }
        batches.withLock { $0.append(batch.count) }
        return rows.withLock { rows in
            batch.map { write in
                let actual = rows[write.object]?.version ?? 0
                guard actual == write.expectedVersion else { return .conflict(actual: actual) }
                rows[write.object] = StoredObject(entries: write.entries ?? [:], version: write.newVersion)
                return .written
            }
        }
    }

    func identities(classID: String?) throws -> [ObjectIdentity] {
        rows.withLock { $0.filter { !$0.value.entries.isEmpty && (classID == nil || $0.key.classID == classID) }.map(\.key) }
    }

    func close() {}

    func count(of object: String) -> String? {
        rows.withLock { $0[ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: object)]?.entries["0"] }
            .map { String(decoding: $0, as: UTF8.self) }
    }
}

@Suite("Write-behind store (group commit, durability before answers)")
struct WriteBehindStoreTests {
    @Test("concurrent adds on several objects all land in the file, grouped into fewer transactions", arguments: [false, true])
    func groupCommit(asyncMode: Bool) async throws {
        let file = FakeDurableFile()
        let store = WriteBehindStore(file: file)
        let runtime = try makeRuntime(store: store)
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        let response = try await client.counter("o\(index % 8)", "add", "1")
                        #expect(response.status == .okay)
                    }
                }
                try await group.waitForAll()
            }
        }
        for object in 0..<8 { #expect(file.count(of: "o\(object)") == "50") }
        let statistics = store.statistics
        #expect(statistics.writes == 400)
        #expect(statistics.transactions < 400)
        #expect(file.batches.withLock { $0.max() ?? 0 } > 1)
    }

    @Test("a call is answered only once its state is in the file")
    func answerWaitsForDisk() async throws {
        let file = FakeDurableFile()
        let gate = DispatchSemaphore(value: 0)
        file.gate.withLock { $0 = gate }
        let runtime = try makeRuntime(store: WriteBehindStore(file: file))
        try await withServer(runtime, asyncMode: false) { (client: OaasClient, _: Int) async throws in
            let answered = LockedValue(false)
            let call = Task {
                let response = try await client.counter("slow", "add", "5")
                answered.withLock { $0 = true }
                return response
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(answered.withLock { $0 } == false)
            #expect(file.count(of: "slow") == nil)
            gate.signal()
            #expect(try await call.value.payload.text == "5")
            #expect(file.count(of: "slow") == "5")
        }
    }

    @Test("a failed transaction fails its calls with the cause, loses nothing acknowledged, and writes work again after")
    func failedTransaction() async throws {
        let file = FakeDurableFile()
        let runtime = try makeRuntime(store: WriteBehindStore(file: file))
        try await withServer(runtime, asyncMode: false) { (client: OaasClient, _: Int) async throws in
            #expect(try await client.counter("x", "add", "2").payload.text == "2")
            file.failing.withLock { $0 = true }
            let failed = try await client.counter("x", "add", "3")
            #expect(failed.status == .systemError)
            #expect(failed.payload.text.contains("disk full (injected)"))
            #expect(file.count(of: "x") == "2")
            // A read while the file fails still sees only what was written.
            file.failing.withLock { $0 = false }
            #expect(try await client.counter("x", "get").payload.text == "2")
            #expect(try await client.counter("x", "add", "4").payload.text == "6")
            #expect(file.count(of: "x") == "6")
        }
    }

    @Test("objects beyond the cache's capacity are dropped and read again, with nothing lost")
    func eviction() async throws {
        let file = FakeDurableFile()
        let store = WriteBehindStore(file: file, cacheCapacity: 4)
        let runtime = try makeRuntime(store: store)
        try await withServer(runtime, asyncMode: false) { (client: OaasClient, _: Int) async throws in
            for round in 1...3 {
                for object in 0..<20 {
                    #expect(try await client.counter("e\(object)", "add", "1").payload.text == String(round))
                }
            }
        }
        for object in 0..<20 { #expect(file.count(of: "e\(object)") == "3") }
        #expect(store.statistics.evictions > 0)
        #expect(store.statistics.cachedObjects <= 4 + 8)
    }

    @Test("a second process's write makes this one's stale commit fail instead of overwriting")
    func foreignWriteConflicts() async throws {
        let file = FakeDurableFile()
        let store = WriteBehindStore(file: file)
        let object = ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "shared")
        _ = try await store.commit(object, entries: ["0": Data("1".utf8)], expectedVersion: 0)
        // Someone else writes version 2 behind this store's back.
        _ = try file.write([DurableWrite(object: object, expectedVersion: 1, newVersion: 2, entries: ["0": Data("50".utf8)])])
        await #expect(throws: ObjectStoreError.self) {
            try await store.commit(object, entries: ["0": Data("2".utf8)], expectedVersion: 1)
        }
        #expect(try file.read(object)?.entries["0"] == Data("50".utf8))
        // The failure dropped the stale copy: the next load reads the file.
        #expect(try await store.load(object)?.version == 2)
    }
}

@Suite("Write-behind row collapsing")
struct WriteBehindCollapseTests {
    private func staged(_ object: String, _ expected: UInt64, _ new: UInt64, _ value: String) -> StagedWrite {
        let identity = ObjectIdentity(classID: "c", partitionID: 0, objectID: object)
        return StagedWrite(object: identity,
                           write: DurableWrite(object: identity, expectedVersion: expected, newVersion: new, entries: ["0": Data(value.utf8)]),
                           cached: CachedObject(stored: nil), lostSnapshot: 0, loop: nil, notify: { _ in })
    }

    @Test("a chain of commits of one object is one row of its last value; a broken chain starts a row of its own")
    func chains() {
        let batch = [
            staged("x", 4, 5, "a"), staged("y", 0, 1, "b"), staged("x", 5, 6, "c"), staged("x", 6, 7, "d"),
            staged("z", 2, 3, "e"),
            staged("x", 4, 5, "f"),  // read again from the file after a failure: not a continuation
            staged("x", 5, 6, "g"),
        ]
        let (rows, rowOfItem) = WriteBehindStore.collapse(batch)
        #expect(rowOfItem == [0, 1, 0, 0, 2, 3, 3])
        #expect(rows.map(\.expectedVersion) == [4, 0, 2, 4])
        #expect(rows.map(\.newVersion) == [7, 1, 3, 6])
        #expect(rows.map { $0.entries?["0"].map { String(decoding: $0, as: UTF8.self) } } == ["d", "b", "e", "g"])
    }
}
