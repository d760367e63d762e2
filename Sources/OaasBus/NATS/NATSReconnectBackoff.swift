/// The pause before a round of reconnect attempts: none for the first round after a loss, then
/// `base`, `2 × base`, `4 × base`, ... capped at `max`, each drawn uniformly from its upper half
/// so that many clients cut off at once do not come back in step. Any thread (pure).
enum NATSReconnectBackoff {
    /// The pause before round `level` (0 is the first round after a loss).
    static func delay<Random: RandomNumberGenerator>(
        level: Int, base: Duration, max: Duration, using random: inout Random
    ) -> Duration {
        guard let range = millisecondRange(level: level, base: base, max: max) else { return .zero }
        return .milliseconds(Int64.random(in: range, using: &random))
    }

    /// The pause before round `level`, with the system's random numbers.
    ///
    /// This does not hand a local `SystemRandomNumberGenerator` to the generic form: that struct
    /// has no size, so every thread's local shares one address, and ThreadSanitizer reports two
    /// loops backing off at once as an access race on it.
    static func delay(level: Int, base: Duration, max: Duration) -> Duration {
        guard let range = millisecondRange(level: level, base: base, max: max) else { return .zero }
        return .milliseconds(Int64.random(in: range))
    }

    /// The milliseconds round `level`'s pause is drawn from; nil for no pause.
    private static func millisecondRange(level: Int, base: Duration, max: Duration) -> ClosedRange<Int64>? {
        guard level > 0 else { return nil }
        let baseMilliseconds = Swift.max(1, base.wholeMilliseconds)
        let maxMilliseconds = Swift.max(baseMilliseconds, max.wholeMilliseconds)
        // Past 2^20 doublings every base has long hit the cap; the bound keeps the shift safe.
        let shift = Swift.min(level - 1, 20)
        let ceiling = Swift.min(maxMilliseconds, baseMilliseconds << shift)
        return (ceiling / 2)...ceiling
    }
}

extension Duration {
    /// Whole milliseconds, rounded down; negative durations count as zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
