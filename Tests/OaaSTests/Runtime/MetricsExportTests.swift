import CoreMetrics
import Foundation
import OaaS
import OaasLoop
import Testing

/// A swift-metrics backend that remembers what it was told, so the test can see the runtime's
/// counters and timers from outside.
final class RecordingMetrics: MetricsFactory, @unchecked Sendable {
    // @unchecked: every mutable value sits behind `values`' lock.
    static let shared = RecordingMetrics()
    private static let bootstrap: Void = MetricsSystem.bootstrap(RecordingMetrics.shared)

    /// Installs the recorder once per process (swift-metrics allows a single bootstrap).
    static func install() { _ = bootstrap }

    let values = LockedValue<[String: Int64]>([:])

    private func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
    }

    func value(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        values.withLock { $0[key(label, dimensions)] ?? 0 }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: key(label, dimensions), values: values)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Handler(key: key(label, dimensions), values: values)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(key: key(label, dimensions), values: values)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(key: key(label, dimensions), values: values)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    /// Counters add; recorders and timers count how many values they got.
    final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, TimerHandler, @unchecked Sendable {
        let key: String
        let values: LockedValue<[String: Int64]>
        init(key: String, values: LockedValue<[String: Int64]>) {
            self.key = key
            self.values = values
        }
        func increment(by amount: Int64) { values.withLock { $0[key, default: 0] += amount } }
        func increment(by amount: Double) { values.withLock { $0[key, default: 0] += Int64(amount) } }
        func reset() { values.withLock { $0[key] = 0 } }
        func record(_ value: Int64) { values.withLock { $0[key, default: 0] += 1 } }
        func record(_ value: Double) { values.withLock { $0[key, default: 0] += 1 } }
        func recordNanoseconds(_ duration: Int64) { values.withLock { $0[key, default: 0] += 1 } }
    }
}

@Suite("Metrics export")
struct MetricsExportTests {
    @Test("calls, errors and latency reach the swift-metrics backend per service and method")
    func exported() async throws {
        RecordingMetrics.install()
        let runtime = try makeRuntime(mock: true)
        // Its own service: other suites call test.Counter concurrently, under the same labels.
        try runtime.register(Metered.self)
        try runtime.startServer()
        for _ in 0..<3 { _ = try await runtime.invoke("test.Metered", objectID: "m", function: "bump", payload: Array("1".utf8)) }
        _ = try await runtime.invoke("test.Metered", objectID: "m", function: "bump", payload: Array("\"x\"".utf8))
        try await runtime.stopServer()
        let dimensions = [("service", "test.Metered"), ("method", "bump")]
        let metrics = RecordingMetrics.shared
        #expect(metrics.value("oaas_calls_total", dimensions) == 4)
        #expect(metrics.value("oaas_call_errors_total", dimensions) == 1)
        #expect(metrics.value("oaas_call_duration", dimensions) == 4)
    }
}

/// A service only this suite calls.
final class Metered: OaasObject, OaasService {
    static var serviceDefinition: ServiceDefinition<Metered> {
        ServiceDefinition("Metered", package: "test").method("bump") { (_: Metered, value: Int) -> Int in value }
    }
}
