import Benchmark

/// How far a run may drift from the committed p90 values in benchmarks/Thresholds/ before
/// `swift package benchmark thresholds check` calls it a regression (or an improvement to
/// record). Every metric the suite measures needs an entry: one without falls back to the
/// tool's zero-tolerance default.
///
/// The stored values are per iteration, that is per 1,000 operations. Computed properties:
/// `BenchmarkThresholds` is not `Sendable`, so it cannot sit in a stored static.
enum HotPathThresholds {
    /// Time on this kind of machine (a shared two-core VM) moves with more than load: a fixed
    /// C loop ran twice as fast while other processes kept both cores busy (host frequency and
    /// scheduling), and whole runs were seen 2x slower at p90 and in throughput. Thread CPU
    /// time moves the same way and no hardware instruction counter is exposed, so wall-clock
    /// p90 may grow by 150% (2.5x) before the check fails: it catches a path gone badly
    /// wrong, not a 20% drift. Ratios against the references in the same run are the finer
    /// measure; allocation counts are the exact guard.
    static var wallClock: BenchmarkThresholds { BenchmarkThresholds(relative: [.p90: 150]) }

    /// The same bound seen from the other side: throughput falling to 40% is a 60% drop.
    static var throughput: BenchmarkThresholds { BenchmarkThresholds(relative: [.p90: 60]) }

    /// Allocations do not depend on the machine, so the margin is absolute and small: 50 per
    /// 1,000 operations, well below one extra allocation per operation, yet room for a buffer
    /// that grows once in an iteration.
    static var mallocs: BenchmarkThresholds { BenchmarkThresholds(absolute: [.p90: 50]) }

    static var all: [BenchmarkMetric: BenchmarkThresholds] {
        [.wallClock: wallClock, .throughput: throughput, .mallocCountTotal: mallocs]
    }

    /// For the benchmarks that go through loopback sockets, whose time also holds the kernel's
    /// share and moves more: p90 may triple (throughput fall by two thirds). They exist for
    /// the allocation count, which stays exact.
    static var overLoopback: [BenchmarkMetric: BenchmarkThresholds] {
        [.wallClock: BenchmarkThresholds(relative: [.p90: 200]),
         .throughput: BenchmarkThresholds(relative: [.p90: 67]),
         .mallocCountTotal: mallocs]
    }
}
