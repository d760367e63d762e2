import Foundation
import OaaS
import OaasProto

/// A private runtime (not the global `oaas`, so tests can run in parallel) configured for
/// loopback, with short drain times, and the test services registered.
func makeRuntime(mock: Bool = false, maxPending: Int? = nil, drain: Duration = .seconds(5),
                 store: (any ObjectStore)? = nil) throws -> Oaas {
    let runtime = Oaas()
    runtime.configure(try OaasConfig(mockMode: mock, serverPort: 0, serverHost: "127.0.0.1",
                                     maxPendingCallsPerObject: maxPending, drainTimeout: drain,
                                     goAwayNotice: .milliseconds(20), debugLevel: DebugLevel.none, store: store,
                                     environment: [:]))
    try runtime.register(Counter.self)
    return runtime
}

/// Runs `body` with a started server and a client connected to it; stops both afterwards.
func withServer(_ runtime: Oaas, asyncMode: Bool? = nil,
                _ body: (OaasClient, Int) async throws -> Void) async throws {
    try runtime.startServer(port: 0, asyncMode: asyncMode)
    let port = runtime.serverInfo.port!
    let client = try OaasClient(port: port)
    do {
        try await body(client, port)
        await client.close()
        try await runtime.stopServer()
    } catch {
        await client.close()
        try? await runtime.stopServer()
        throw error
    }
}

extension OaasClient {
    /// Calls `test.Counter/<function>` on `object` with a UTF-8 payload.
    func counter(_ object: String, _ function: String, _ payload: String = "") async throws -> Oprc_InvocationResponse {
        try await invoke("test.Counter", objectID: object, function: function, payload: Array(payload.utf8))
    }
}

extension Oaas {
    /// Calls `test.Counter/<function>` on `object` in-process.
    func counter(_ object: String, _ function: String, _ payload: String = "") async throws -> Oprc_InvocationResponse {
        try await invoke("test.Counter", objectID: object, function: function, payload: Array(payload.utf8))
    }
}
