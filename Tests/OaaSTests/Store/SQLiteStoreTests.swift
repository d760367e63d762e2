import Foundation
@testable import OaaS
import OaasLoop
import OaasProto
import Testing

@Suite("SQLite store through the runtime")
struct SQLiteStoreTests {
    private func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oaas-sqlite-\(UUID().uuidString)")
        return url
    }

    @Test("objects written through a server are there after the store is closed and opened again", arguments: [
        (false, StoreURL.SQLiteSync.normal), (true, .normal), (false, .full),
    ])
    func survivesReopen(asyncMode: Bool, synchronous: StoreURL.SQLiteSync) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("deep/objects.db").path
        let url = "sqlite:\(path)\(synchronous == .full ? "?synchronous=full" : "")"
        let first = try ObjectStores.open(url, config: try OaasConfig(environment: [:]))
        try await withServer(try makeRuntime(store: first), asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let response = try await client.counter("s\(index % 5)", "add", "1")
                        #expect(response.status == .okay)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.counter("named", "rename", "\"hello\"").status == .okay)
        }
        await first.close()

        let second = try ObjectStores.open(url, config: try OaasConfig(environment: [:]))
        #expect(second !== first)
        try await withServer(try makeRuntime(store: second), asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            for index in 0..<5 { #expect(try await client.counter("s\(index)", "get").payload.text == "40") }
            #expect(try await client.counter("named", "label").payload.text == "hello")
        }
        let listed = try await second.identities(classID: "test.Counter").map(\.objectID)
        #expect(listed == ["named", "s0", "s1", "s2", "s3", "s4"])
        await second.close()
    }

    @Test("opening the same file twice in a process shares one store; a closed one is opened anew")
    func sharedWithinProcess() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "sqlite:\(directory.path)/objects.db"
        let config = try OaasConfig(environment: [:])
        let first = try ObjectStores.open(url, config: config)
        #expect(try ObjectStores.open(url, config: config) === first)
        await first.close()
        let reopened = try ObjectStores.open(url, config: config)
        #expect(reopened !== first)
        await reopened.close()
    }

    @Test("a garbage file makes configure keep the problem, and the server refuses to start naming it")
    func garbageFile() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("objects.db").path
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: URL(fileURLWithPath: path))
        let runtime = Oaas()
        runtime.configure(try OaasConfig(serverPort: 0, serverHost: "127.0.0.1", debugLevel: DebugLevel.none,
                                         storeURL: "sqlite:\(path)", environment: [:]))
        #expect {
            try runtime.startServer(port: 0)
        } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("not a database")
        }
    }

    @Test("mock mode keeps the in-memory store whatever the store URL says")
    func mockModeStaysInMemory() throws {
        let runtime = Oaas()
        runtime.configure(try OaasConfig(mockMode: true, debugLevel: DebugLevel.none,
                                         storeURL: "sqlite:/proc/no-such-place/objects.db", environment: [:]))
        #expect(runtime.store is InMemoryObjectStore)
        #expect(runtime.configurationProblem == nil)
    }

    @Test("a call that only reads a state not yet on disk is answered after that state is written")
    func readOnlyCallsWaitForDurability() async throws {
        // A read that sees a state still being written waits for it (the fake file's gate).
        let file = FakeDurableFile()
        let store = WriteBehindStore(file: file)
        let runtime = try makeRuntime(store: store)
        try await withServer(runtime, asyncMode: false) { (client: OaasClient, _: Int) async throws in
            #expect(try await client.counter("r", "add", "1").payload.text == "1")
            let gate = DispatchSemaphore(value: 0)
            file.gate.withLock { $0 = gate }
            async let write = client.counter("r", "add", "1")
            try await Task.sleep(for: .milliseconds(100))
            let read = Task { try await client.counter("r", "get") }
            try await Task.sleep(for: .milliseconds(200))
            #expect(file.count(of: "r") == "1")
            gate.signal()
            #expect(try await write.payload.text == "2")
            #expect(try await read.value.payload.text == "2")
        }
    }
}
