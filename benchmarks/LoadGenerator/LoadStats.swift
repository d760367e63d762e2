/// What happened to the requests, per phase. Loop-confined.
///
/// Counting rules (also in the JSON report's `counting` note):
/// - `--duration`: a success counts when it completes inside the measured window, as h2load
///   counts; a request still open at the window's end that later succeeds is only reported as
///   `after_window_succeeded`. A failure after the warm-up always counts (window or not), so
///   a server that hangs at the end cannot hide it.
/// - `-n`: exactly the N requests started after the warm-up count, whenever they end.
/// - Latencies are those of the counted successes, from submitting the request to the
///   stream's close.
///
/// Loop-confined (hence `@exclusivity(unchecked)`: no access is held across a reentrant call).
final class LoadStats {
    @exclusivity(unchecked) var succeeded = 0
    @exclusivity(unchecked) var failures: [FailureReason: Int] = [:]
    /// Nanoseconds, one per counted success; sorted only when the report is made.
    @exclusivity(unchecked) var latencies: [UInt64] = []

    @exclusivity(unchecked) var warmupSucceeded = 0
    @exclusivity(unchecked) var warmupFailures: [FailureReason: Int] = [:]
    @exclusivity(unchecked) var afterWindowSucceeded = 0

    /// Completions (any phase, any outcome) since the last progress line.
    @exclusivity(unchecked) var completedSinceTick = 0

    var failed: Int { failures.values.reduce(0, +) }
    var warmupFailed: Int { warmupFailures.values.reduce(0, +) }

    init(expectedRequests: Int) {
        latencies.reserveCapacity(max(1 << 16, min(expectedRequests, 1 << 26)))
    }

    func countFailure(_ reason: FailureReason, warmup: Bool) {
        if warmup {
            warmupFailures[reason, default: 0] += 1
        } else {
            failures[reason, default: 0] += 1
        }
    }
}

/// Latency percentiles in microseconds, from the recorded nanoseconds.
struct LatencySummary {
    let mean: Double
    let p50: Double
    let p90: Double
    let p99: Double
    let max: Double
    let min: Double

    /// Sorts `samples` in place (it is the last use of them).
    init?(sorting samples: inout [UInt64]) {
        guard !samples.isEmpty else { return nil }
        samples.sort()
        var total: Double = 0
        for sample in samples { total += Double(sample) }
        func micros(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1000 }
        // Nearest rank: the smallest sample with at least q of all samples at or below it.
        func rank(_ q: Double) -> UInt64 {
            let index = Int((q * Double(samples.count)).rounded(.up)) - 1
            return samples[Swift.max(0, Swift.min(samples.count - 1, index))]
        }
        mean = total / Double(samples.count) / 1000
        p50 = micros(rank(0.50))
        p90 = micros(rank(0.90))
        p99 = micros(rank(0.99))
        max = micros(samples[samples.count - 1])
        min = micros(samples[0])
    }
}
