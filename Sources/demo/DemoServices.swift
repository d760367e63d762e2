import Foundation
import OaaS

// The design's example services, under the names they have on the wire.

/// `math.Calculator`: `add` keeps a running result per object (served by the server and by
/// agents, so the agent benchmarks can call it over the bus); `complex_calculation` is the
/// agent-served method of the design (the sum of a list times the result).
@Service("Calculator", package: "math")
final class Calculator: OaasObject {
    var result: Double = 0

    @Method(serveWithAgent: true) func add(_ value: Double) -> Double {
        result += value
        return result
    }

    @Method(name: "complex_calculation", serveWithAgent: true)
    func complexCalculation(_ data: [Double]) async -> Double {
        data.reduce(0, +) * result
    }
}

/// What `worker.BackgroundProcessor/process_data` answers.
struct ProcessedData: Codable {
    let processed: Bool
    let result: JSONValue
}

/// `worker.BackgroundProcessor`: slow background work, served by agents.
@Service("BackgroundProcessor", package: "worker")
final class BackgroundProcessor: OaasObject {
    /// How long `process_data` works, in milliseconds: `DEMO_PROCESS_DELAY_MS`, default 20
    /// (the design sleeps 5 s, which makes a poor demo).
    static let delay = Duration.milliseconds(Int(ProcessInfo.processInfo.environment["DEMO_PROCESS_DELAY_MS"] ?? "") ?? 20)

    @Method(name: "process_data", serveWithAgent: true)
    func processData(_ data: JSONValue) async throws -> ProcessedData {
        try await Task.sleep(for: Self.delay)
        return ProcessedData(processed: true, result: data)
    }
}

/// `hybrid.HybridService`: one method for the server, one for agents.
@Service("HybridService", package: "hybrid")
final class HybridService: OaasObject {
    @Method(name: "quick_info")
    func quickInfo() -> String {
        "This is served by the server"
    }

    @Method(name: "heavy_work", serveWithAgent: true)
    func heavyWork(_ data: [JSONValue]) -> [String: Int] {
        ["processed_count": data.count]
    }
}

/// Registers every demo service with the runtime.
func registerDemoServices() throws {
    try oaas.register(Calculator.self)
    try oaas.register(BackgroundProcessor.self)
    try oaas.register(HybridService.self)
}

/// Starts an agent for the demo class `classID`, on one object or (`objectID` nil) all.
/// - Throws: ``AgentError``, or `DemoError` for a class the demo does not have.
@discardableResult
func startDemoAgent(classID: String, objectID: String?) async throws -> String {
    switch classID {
    case "math.Calculator": try await oaas.startAgent(Calculator.self, objectId: objectID)
    case "worker.BackgroundProcessor": try await oaas.startAgent(BackgroundProcessor.self, objectId: objectID)
    case "hybrid.HybridService": try await oaas.startAgent(HybridService.self, objectId: objectID)
    default: throw DemoError("the demo has no class \(classID); it has \(oaas.registeredServices.joined(separator: ", "))")
    }
}

/// A mistake in how the demo was asked to run.
struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
