/// Latency statistics in microseconds, exact: computed from every recorded sample (nanoseconds),
/// not from a histogram. Made once, at the end of a run. Any thread (a plain value).
public struct LatencySummary: Sendable {
    public let samples: Int
    public let mean: Double
    public let p50: Double
    public let p90: Double
    public let p99: Double
    public let max: Double
    public let min: Double

    /// Sorts `nanoseconds` in place (the caller's last use of them); `nil` when there are none.
    public init?(sorting nanoseconds: inout [UInt64]) {
        guard !nanoseconds.isEmpty else { return nil }
        nanoseconds.sort()
        var total = 0.0
        for sample in nanoseconds { total += Double(sample) }
        let sorted = nanoseconds
        // Nearest rank: the smallest sample with at least q of all samples at or below it.
        func rank(_ q: Double) -> Double {
            let index = Int((q * Double(sorted.count)).rounded(.up)) - 1
            return Double(sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]) / 1000
        }
        samples = sorted.count
        mean = total / Double(sorted.count) / 1000
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        max = Double(sorted[sorted.count - 1]) / 1000
        min = Double(sorted[0]) / 1000
    }

    /// `{"samples": .., "mean": .., "p50": .., ...}`.
    public var json: String {
        var fields = JSONFields()
        fields.add("samples", samples)
        fields.add("mean", mean, places: 1)
        fields.add("p50", p50, places: 1)
        fields.add("p90", p90, places: 1)
        fields.add("p99", p99, places: 1)
        fields.add("max", max, places: 1)
        fields.add("min", min, places: 1)
        return fields.text
    }
}
