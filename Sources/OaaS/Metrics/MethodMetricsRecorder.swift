import CoreMetrics
import OaasLoop

/// Records one method's calls: into counters readable through the API, and into swift-metrics
/// (`oaas_calls_total`, `oaas_call_errors_total`, `oaas_call_duration` with dimensions
/// `service` and `method`), for whatever metrics backend the process bootstrapped.
///
/// The swift-metrics handles are made once, when the service is registered, so a call costs a
/// lock and three handler calls. Any thread.
final class MethodMetricsRecorder: Sendable {
    private let counts = LockedValue(MethodMetrics())
    private let calls: Counter
    private let errors: Counter
    private let latency: Timer

    init(classID: String, method: String) {
        let dimensions = [("service", classID), ("method", method)]
        calls = Counter(label: "oaas_calls_total", dimensions: dimensions)
        errors = Counter(label: "oaas_call_errors_total", dimensions: dimensions)
        latency = Timer(label: "oaas_call_duration", dimensions: dimensions)
    }

    func record(_ duration: Duration, succeeded: Bool) {
        counts.withLock { $0.record(duration, succeeded: succeeded) }
        calls.increment()
        if !succeeded { errors.increment() }
        latency.recordNanoseconds(duration.nanoseconds)
    }

    var snapshot: MethodMetrics { counts.withLock { $0 } }

    func reset() { counts.withLock { $0 = MethodMetrics() } }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowed ? (seconds < 0 ? .min : .max) : total
    }
}
