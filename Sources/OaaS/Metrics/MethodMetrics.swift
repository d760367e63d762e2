/// Calls, errors and latency of one method, as ``Oaas/metrics(for:)`` reports them.
///
/// A call counts as an error when its response status is not `OKAY`. Latency runs from the
/// moment the call starts (after any wait for its object) until its response is ready, so it
/// includes loading and committing state. Any thread (a value).
public struct MethodMetrics: Sendable, Equatable {
    /// Calls answered.
    public var calls: Int = 0
    /// Calls answered with a status other than `OKAY`.
    public var errors: Int = 0
    /// Sum of latencies.
    public var totalDuration: Duration = .zero
    /// Shortest latency; `nil` before the first call.
    public var minDuration: Duration?
    /// Longest latency; `.zero` before the first call.
    public var maxDuration: Duration = .zero

    /// Mean latency; `.zero` before the first call.
    public var averageDuration: Duration { calls == 0 ? .zero : totalDuration / calls }
    /// Share of calls that succeeded; 1 before the first call, as in the Python SDK.
    public var successRate: Double { calls == 0 ? 1 : Double(calls - errors) / Double(calls) }

    mutating func record(_ duration: Duration, succeeded: Bool) {
        calls += 1
        if !succeeded { errors += 1 }
        totalDuration += duration
        minDuration = min(minDuration ?? duration, duration)
        maxDuration = max(maxDuration, duration)
    }
}

/// The metrics of every method of one service, keyed by fn id. Any thread (a value).
public struct ServiceMetrics: Sendable, Equatable {
    /// The service's class id.
    public let classID: String
    /// Per method, by fn id.
    public var methods: [String: MethodMetrics]

    /// All methods together.
    public var total: MethodMetrics {
        methods.values.reduce(into: MethodMetrics()) { sum, method in
            sum.calls += method.calls
            sum.errors += method.errors
            sum.totalDuration += method.totalDuration
            if let low = method.minDuration { sum.minDuration = min(sum.minDuration ?? low, low) }
            sum.maxDuration = max(sum.maxDuration, method.maxDuration)
        }
    }
}
