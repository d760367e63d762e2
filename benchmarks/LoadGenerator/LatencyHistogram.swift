import Histogram

/// Every recorded duration of one kind (nanoseconds), in an HdrHistogram: recording is a few
/// integer operations and no allocation, and the memory is fixed (about 250 KB) however long
/// the run, where a list of samples grows by 8 bytes a request and must be sorted at the end.
/// Values keep 3 significant digits (±0.1%), finer than any difference worth reporting.
///
/// A plain value; the run's copies live in loop-confined objects.
struct LatencyHistogram {
    private var histogram: Histogram<UInt64>

    init() {
        // 1 ns resolution at the bottom, so sub-millisecond latencies keep their 3 digits; room
        // for a minute before the histogram grows (`autoResize`), which only a stuck run needs.
        histogram = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                              numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
    }

    @inline(__always)
    mutating func record(_ nanoseconds: UInt64) {
        histogram.record(nanoseconds)
    }

    var count: Int { Int(histogram.totalCount) }

    /// The summary in microseconds, nil when nothing was recorded.
    var summary: LatencySummary? {
        guard histogram.totalCount > 0 else { return nil }
        func micros(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1000 }
        return LatencySummary(
            count: count,
            mean: histogram.mean / 1000,
            p50: micros(histogram.valueAtPercentile(50)),
            p90: micros(histogram.valueAtPercentile(90)),
            p99: micros(histogram.valueAtPercentile(99)),
            p99_9: micros(histogram.valueAtPercentile(99.9)),
            // The exact extremes, not their buckets' bounds.
            max: micros(histogram.maxRecorded),
            min: micros(histogram.min))
    }
}

/// Latency figures in microseconds, as the report prints them. Percentiles are HdrHistogram's:
/// the smallest recorded value (to 3 significant digits) with at least that share of all
/// values at or below it.
struct LatencySummary {
    let count: Int
    let mean: Double
    let p50: Double
    let p90: Double
    let p99: Double
    let p99_9: Double
    let max: Double
    let min: Double
}
