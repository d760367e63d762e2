/// What happened to the requests, per phase. Loop-confined.
///
/// Counting rules (also in the JSON report's `counting` note):
/// - `--duration`: a success counts when it completes inside the measured window, as h2load
///   counts; a request still open at the window's end that later succeeds is only reported as
///   `after_window_succeeded`. A failure after the warm-up always counts (window or not), so
///   a server that hangs at the end cannot hide it.
/// - `-n`: exactly the N requests started after the warm-up count, whenever they end.
/// - Latencies are those of the counted successes, up to the stream's close: from the
///   request's intended start in the open loop (`--rate`), from its submission in the closed
///   loop (where the two are the same moment).
///
/// Loop-confined (hence `@exclusivity(unchecked)`: no access is held across a reentrant call).
final class LoadStats {
    @exclusivity(unchecked) var succeeded = 0
    @exclusivity(unchecked) var failures: [FailureReason: Int] = [:]
    /// Every counted success: intended start (open loop) or submission (closed loop) to close.
    @exclusivity(unchecked) var latency = LatencyHistogram()
    /// Open loop only: the same successes from their actual submission, i.e. what the server
    /// took without the wait behind schedule. In the closed loop this is `latency` itself.
    @exclusivity(unchecked) var serviceTime = LatencyHistogram()

    @exclusivity(unchecked) var warmupSucceeded = 0
    @exclusivity(unchecked) var warmupFailures: [FailureReason: Int] = [:]
    @exclusivity(unchecked) var afterWindowSucceeded = 0

    /// Completions (any phase, any outcome) since the last progress line.
    @exclusivity(unchecked) var completedSinceTick = 0

    var failed: Int { failures.values.reduce(0, +) }
    var warmupFailed: Int { warmupFailures.values.reduce(0, +) }

    func countFailure(_ reason: FailureReason, warmup: Bool) {
        if warmup {
            warmupFailures[reason, default: 0] += 1
        } else {
            failures[reason, default: 0] += 1
        }
    }
}
