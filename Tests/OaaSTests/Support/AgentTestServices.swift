import Foundation
import OaaS
import OaasLoop

/// A service whose methods are served by agents, for the agent tests.
final class AgentWorker: OaasObject, OaasService {
    var total = 0

    /// The runtime `relay` calls through: tests use private runtimes, and a method has no
    /// other way to know which one runs it. Set before calling `relay`.
    nonisolated(unsafe) static var relayRuntime: Oaas?

    static var serviceDefinition: ServiceDefinition<AgentWorker> {
        var definition = ServiceDefinition<AgentWorker>("AgentWorker", package: "test")
        definition = definition.method("add", serveWithAgent: true) { (worker: AgentWorker, value: Int) -> Int in
            worker.total += value
            return worker.total
        }
        definition = definition.method("slowAdd", serveWithAgent: true) { (worker: AgentWorker, milliseconds: Int) async -> Int in
            // Ignores cancellation, like a method in the middle of real work.
            let deadline = ContinuousClock.now + .milliseconds(milliseconds)
            while ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
            worker.total += 1
            return worker.total
        }
        definition = definition.method("stall", serveWithAgent: true) { (worker: AgentWorker) async -> Int in
            // Never answers, like a call waiting on a remote answer that is lost: its
            // continuation is kept, never resumed (so its task stays suspended, not leaked).
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                StalledCalls.keep(continuation)
            }
            return 0
        }
        definition = definition.method("fail", serveWithAgent: true) { (worker: AgentWorker) throws -> Int in
            throw TestFailure("agent method failed")
        }
        definition = definition.method("echo", stateless: true, serveWithAgent: true) { (worker: AgentWorker, text: String) -> String in
            text
        }
        definition = definition.method("whoami", serveWithAgent: true) { (worker: AgentWorker) -> String in
            worker.identity?.description ?? "unbound"
        }
        definition = definition.method("relay", serveWithAgent: true) { (worker: AgentWorker, target: String) async throws -> Int in
            // An object calling another object through the bus.
            let response = try await relayRuntime!.invokeViaBus("test.AgentWorker", objectID: target, function: "add",
                                                                 payload: Array("10".utf8))
            guard response.status == .okay, let value = Int(String(decoding: response.payload, as: UTF8.self)) else {
                throw TestFailure("relay got \(response.status)")
            }
            worker.total += 1
            return value
        }
        definition = definition.method("startOwnAgent", serveWithAgent: false) { (worker: AgentWorker) async throws -> String in
            try await worker.startInstanceAgent()
        }
        definition = definition.method("repeat", serveWithAgent: true) { (worker: AgentWorker, count: Int) -> String in
            String(repeating: "x", count: count)
        }
        definition = definition.method("serverOnly") { (worker: AgentWorker) -> Int in worker.total }
        return definition
    }

    static var persistedFields: [String] { ["total"] }

    func saveState(into state: inout StateWriter) throws(PayloadError) {
        try state.write(total, field: 0)
    }

    func loadState(from state: StateReader) throws(PayloadError) {
        if let value = try state.read(Int.self, field: 0) { total = value }
    }
}

/// A registered service with no agent methods.
final class Plain: OaasObject, OaasService {
    static var serviceDefinition: ServiceDefinition<Plain> {
        ServiceDefinition<Plain>("Plain", package: "test").method("ping") { (plain: Plain) -> String in "pong" }
    }
    static var persistedFields: [String] { [] }
    func saveState(into state: inout StateWriter) throws(PayloadError) {}
    func loadState(from state: StateReader) throws(PayloadError) {}
}

/// A class that is never registered.
final class Unregistered: OaasObject, OaasService {
    static var serviceDefinition: ServiceDefinition<Unregistered> { ServiceDefinition<Unregistered>("Unregistered", package: "test") }
    static var persistedFields: [String] { [] }
    func saveState(into state: inout StateWriter) throws(PayloadError) {}
    func loadState(from state: StateReader) throws(PayloadError) {}
}

/// A private runtime with the agent test services registered, on the embedded bus.
func makeAgentRuntime(mock: Bool = false, drain: Duration = .seconds(5), busURL: String = "embedded",
                      busTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2)) throws -> Oaas {
    let runtime = Oaas()
    runtime.configure(try OaasConfig(mockMode: mock, serverPort: 0, serverHost: "127.0.0.1", drainTimeout: drain,
                                     goAwayNotice: .milliseconds(20), debugLevel: DebugLevel.none, busURL: busURL,
                                     busRequestTimeout: busTimeout, busConnectTimeout: connectTimeout, environment: [:]))
    try runtime.register(AgentWorker.self)
    try runtime.register(Plain.self)
    try runtime.register(Counter.self)
    return runtime
}

extension Oaas {
    /// Calls `test.AgentWorker/<function>` on `object` through the bus.
    func worker(_ object: String, _ function: String, _ payload: String = "", timeout: Duration? = nil) async throws -> (status: String, text: String) {
        let response = try await invokeViaBus("test.AgentWorker", objectID: object, function: function,
                                              payload: Array(payload.utf8), timeout: timeout)
        return ("\(response.status)", String(decoding: response.payload, as: UTF8.self))
    }
}

/// The continuations of `AgentWorker.stall` calls, kept for the life of the test process.
enum StalledCalls {
    private static let continuations = LockedValue<[CheckedContinuation<Void, Never>]>([])

    static func keep(_ continuation: CheckedContinuation<Void, Never>) {
        continuations.withLock { $0.append(continuation) }
    }
}
