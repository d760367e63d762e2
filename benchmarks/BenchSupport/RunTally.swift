/// The phases of a closed-loop run: warm-up (counted apart), the measured window, then draining
/// (no new requests; waiting for those in flight).
public enum RunPhase: Int, Sendable {
    case warmup = 0
    case measuring = 1
    case draining = 2
}

/// What happened to the requests of a run, by phase. One tally per thread of callers (merged at
/// the end), so recording needs no lock. A plain value.
///
/// Counting rules, the same as oaas-load's: a success counts when it completes inside the
/// measured window; one that completes after it is only reported (`afterWindowSucceeded`). A
/// failure after the warm-up always counts, window or not, so a responder that hangs at the end
/// cannot hide it. Latencies are those of the counted successes.
public struct RunTally: Sendable {
    public var succeeded = 0
    public var failures: [String: Int] = [:]
    /// Nanoseconds, one per counted success; sorted only when the report is made.
    public var latencies: [UInt64] = []
    public var warmupSucceeded = 0
    public var warmupFailures: [String: Int] = [:]
    public var afterWindowSucceeded = 0

    public init(expectedSamples: Int = 1 << 16) {
        latencies.reserveCapacity(expectedSamples)
    }

    public var failed: Int { failures.values.reduce(0, +) }
    public var warmupFailed: Int { warmupFailures.values.reduce(0, +) }

    /// A success that took `nanoseconds`, completing in `phase`.
    @inline(__always)
    public mutating func succeeded(in phase: RunPhase, nanoseconds: UInt64) {
        switch phase {
        case .measuring:
            succeeded += 1
            latencies.append(nanoseconds)
        case .warmup:
            warmupSucceeded += 1
        case .draining:
            afterWindowSucceeded += 1
        }
    }

    /// A failure for `reason` (a short key such as `timeout`), completing in `phase`.
    public mutating func failed(in phase: RunPhase, reason: String) {
        if phase == .warmup {
            warmupFailures[reason, default: 0] += 1
        } else {
            failures[reason, default: 0] += 1
        }
    }

    public mutating func merge(_ other: RunTally) {
        succeeded += other.succeeded
        latencies += other.latencies
        warmupSucceeded += other.warmupSucceeded
        afterWindowSucceeded += other.afterWindowSucceeded
        for (reason, count) in other.failures { failures[reason, default: 0] += count }
        for (reason, count) in other.warmupFailures { warmupFailures[reason, default: 0] += count }
    }

    /// The fields every generator reports alike: counts, requests/s over `measuredSeconds`,
    /// latency (sorting the samples: their last use), and the generator's CPU use over the window.
    public mutating func addReport(to fields: inout JSONFields, measuredSeconds: Double, cpuSeconds: Double) {
        let rate = measuredSeconds > 0 ? Double(succeeded) / measuredSeconds : 0
        fields.add("measured_seconds", measuredSeconds, places: 6)
        fields.add("succeeded", succeeded)
        fields.add("failed", failed)
        fields.add("failures", counts: failures)
        fields.add("requests_per_second", rate, places: 1)
        fields.add("latency_us", json: LatencySummary(sorting: &latencies)?.json ?? "null")
        fields.add("generator_cpu_seconds", cpuSeconds, places: 3)
        fields.add("generator_cpu_utilisation", measuredSeconds > 0 ? cpuSeconds / measuredSeconds : 0, places: 4)
        fields.add("generator_cpu_us_per_request", succeeded > 0 ? cpuSeconds * 1e6 / Double(succeeded) : 0, places: 2)
        var warmup = JSONFields()
        warmup.add("succeeded", warmupSucceeded)
        warmup.add("failed", warmupFailed)
        warmup.add("failures", counts: warmupFailures)
        fields.add("warmup", json: warmup.text)
        fields.add("after_window_succeeded", afterWindowSucceeded)
    }

    public static let countingNote =
        "requests_per_second = succeeded / measured_seconds; a success counts if it completes inside "
        + "the measured window, a failure after the warm-up always counts. Latency: every counted "
        + "success, request sent to reply handed back, exact percentiles (nearest rank). CPU: getrusage "
        + "user+sys of the generator process over the window; utilisation 1.0 = one core busy."
}
