import Foundation
import OaaS
import OaasProto
import Testing

/// The invocation path over a real gRPC connection, once per handler: both must give the same
/// observable results.
@Suite("Invocation path over gRPC", .serialized)
struct InvocationPathTests {
    static let handlers = [false, true]

    @Test("state persists between calls; objects are independent", arguments: handlers)
    func statePersists(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            #expect(try await client.counter("7", "add", "5").payload.text == "5")
            #expect(try await client.counter("7", "add", "2").payload.text == "7")
            #expect(try await client.counter("8", "add", "1").payload.text == "1")
            #expect(try await client.counter("7", "get").payload.text == "7")
        }
        let stored = try await runtime.store.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "7"))
        #expect(stored?.entries["0"]?.text == "7")
        #expect(stored?.entries["1"]?.text == "\"\"")
        #expect(stored?.version == 2)
    }

    @Test("a call that changes nothing on a stored object commits nothing; one that changes a field commits every field", arguments: handlers)
    func unchangedStoredObject(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        let id = ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "u")
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            #expect(try await client.counter("u", "add", "4").payload.text == "4")
            #expect(try await client.counter("u", "get").payload.text == "4")
            #expect(try await client.counter("u", "add", "0").payload.text == "4")
            #expect(try await runtime.store.load(id)?.version == 1, "unchanged calls left the version alone")
            _ = try await client.counter("u", "rename", "\"box\"")
        }
        let stored = try await runtime.store.load(id)
        #expect(stored?.version == 2)
        #expect(stored?.entries == ["0": Data("4".utf8), "1": Data("\"box\"".utf8)])
    }

    @Test("the numeric object id (field 2) and its decimal string (field 7) reach one object", arguments: handlers)
    func numericAndStringIDsMeet(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            var numeric = Oprc_ObjectInvocationRequest()
            numeric.clsID = "test.Counter"
            numeric.objectID = 7
            numeric.fnID = "add"
            numeric.payload = Data("3".utf8)
            #expect(try await client.invokeObject(numeric).payload.text == "3")
            #expect(try await client.counter("7", "add", "1").payload.text == "4")
            #expect(try await client.counter("7", "whoami").payload.text == "test.Counter/0/7")
        }
    }

    @Test("partitions are separate objects", arguments: handlers)
    func partitions(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            _ = try await client.invoke("test.Counter", objectID: "p", function: "add", payload: Array("1".utf8), partition: 0)
            let other = try await client.invoke("test.Counter", objectID: "p", function: "add", payload: Array("10".utf8), partition: 3)
            #expect(other.payload.text == "10")
        }
    }

    @Test("unknown class and method: INVALID_REQUEST with the reference texts", arguments: handlers)
    func unknownNames(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            let noClass = try await client.invoke("pkg.Nope", objectID: "1", function: "add")
            #expect(noClass.status == .invalidRequest)
            #expect(noClass.payload.text == "cls_id 'pkg.Nope' not found")
            let noMethod = try await client.counter("1", "nope")
            #expect(noMethod.status == .invalidRequest)
            #expect(noMethod.payload.text == "fn_id 'nope' not found")
            let noFunction = try await client.invoke("pkg.Nope", function: "x")
            #expect(noFunction.payload.text == "cls_id 'pkg.Nope' not found")
        }
    }

    @Test("bad arguments: APP_ERROR naming the expected type; state untouched", arguments: handlers)
    func badArguments(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            _ = try await client.counter("a", "add", "2")
            for bad in ["\"3\"", "3.5", "true", "{", "[1]", "nonsense", "", "null"] {
                let response = try await client.counter("a", "add", bad)
                #expect(response.status == .appError, "payload \(bad)")
                let error = try JSONSerialization.jsonObject(with: response.payload) as? [String: Any]
                #expect(error?["parameter_type"] as? String == "Int", "payload \(bad)")
                #expect((error?["error_message"] as? String)?.contains("Int") == true, "payload \(bad): \(response.payload.text)")
                #expect(error?["error_type"] as? String == "SerializationError")
            }
            #expect(try await client.counter("a", "get").payload.text == "2")
        }
    }

    @Test("a throwing method answers APP_ERROR and commits nothing", arguments: handlers)
    func throwingMethods(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            _ = try await client.counter("t", "add", "5")
            let withArgument = try await client.counter("t", "addThenFail", "100")
            #expect(withArgument.status == .appError)
            let error = try JSONSerialization.jsonObject(with: withArgument.payload) as? [String: Any]
            #expect(error?["error_message"] as? String == "boom")
            #expect(error?["error_type"] as? String == "TestFailure")
            #expect(error?["error_code"] as? String == "RPC_PARAM_ERROR")
            let withoutArgument = try await client.counter("t", "failWithoutArgument")
            #expect(withoutArgument.status == .appError)
            #expect(withoutArgument.payload.text == "bad thing")
            #expect(try await client.counter("t", "get").payload.text == "5")
        }
    }

    @Test("strings: arguments are JSON, results raw, state JSON-quoted", arguments: handlers)
    func strings(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            let renamed = try await client.counter("s", "rename", "\"caf\\u00e9\"")
            #expect(renamed.status == .okay)
            #expect(renamed.hasPayload && renamed.payload.isEmpty)
            #expect(try await client.counter("s", "label").payload.text == "café")
            let greeting = try await client.invoke("test.Counter", function: "greet", payload: Array("\"bob\"".utf8))
            #expect(greeting.payload.text == "hello bob")
        }
        let stored = try await runtime.store.load(ObjectIdentity(classID: "test.Counter", partitionID: 0, objectID: "s"))
        #expect(stored?.entries["1"]?.text == "\"caf\\u00e9\"")
    }

    @Test("several parameters: a JSON array or an object keyed by label", arguments: handlers)
    func severalParameters(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            _ = try await client.counter("m", "add", "2")
            #expect(try await client.counter("m", "scale", "[3, 1]").payload.text == "7")
            #expect(try await client.counter("m", "scale", "{\"offset\": 0, \"by\": 2}").payload.text == "14")
            let wrong = try await client.counter("m", "scale", "[1]")
            #expect(wrong.status == .appError)
            #expect(try await client.counter("m", "get").payload.text == "14")
        }
    }

    @Test("object ids: empty, 1 KiB, with '/' are refused; non-ASCII works", arguments: handlers)
    func objectIDs(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            let empty = try await client.counter("", "add", "1")
            #expect(empty.status == .invalidRequest)
            #expect(empty.payload.text.contains("object_id is missing"))
            var absent = Oprc_ObjectInvocationRequest()
            absent.clsID = "test.Counter"
            absent.fnID = "add"
            #expect(try await client.invokeObject(absent).status == .invalidRequest)
            let long = try await client.counter(String(repeating: "x", count: 1024), "add", "1")
            #expect(long.status == .invalidRequest)
            #expect(long.payload.text == "object_id is 1024 bytes long; the limit is 512")
            #expect(try await client.counter("a/b", "add", "1").status == .invalidRequest)
            #expect(try await client.counter("ü-\u{1F600}", "add", "4").payload.text == "4")
            #expect(try await client.counter("u-\u{1F600}", "add", "1").payload.text == "1")
            #expect(try await client.counter("ü-\u{1F600}", "get").payload.text == "4")
        }
        #expect(runtime.store is InMemoryObjectStore)
        #expect((runtime.store as! InMemoryObjectStore).count == 2)
    }

    @Test("metrics count calls and errors per method", arguments: handlers)
    func metrics(asyncMode: Bool) async throws {
        let runtime = try makeRuntime()
        try await withServer(runtime, asyncMode: asyncMode) { (client: OaasClient, _: Int) async throws in
            for _ in 0..<3 { _ = try await client.counter("x", "add", "1") }
            _ = try await client.counter("x", "add", "oops")
        }
        let add = try #require(runtime.metrics(for: "test.Counter")?.methods["add"])
        #expect(add.calls == 4)
        #expect(add.errors == 1)
        #expect(add.minDuration != nil && add.maxDuration >= add.minDuration!)
        runtime.resetMetrics()
        #expect(runtime.metrics(for: "test.Counter")?.methods["add"]?.calls == 0)
    }
}
