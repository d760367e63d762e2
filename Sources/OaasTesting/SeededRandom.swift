/// A deterministic random number generator (SplitMix64), so a randomized test repeats exactly
/// and a failing round can be replayed from its seed. Value type; use one per test or thread.
///
/// Tests use it instead of `SystemRandomNumberGenerator` also because that generator has no
/// size: every local one shares an address, and ThreadSanitizer reports two tests drawing from
/// theirs at once as an access race.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
