// Micro-benchmarks of the runtime's hot paths that do no I/O (and one whole server call over
// loopback), each beside the reference a user would otherwise reach for where one exists, so
// the report reads as a ratio. Allocations are counted per operation and guarded by committed
// thresholds (benchmarks/Thresholds/), so a new allocation on a hot path fails the check.
//
// Naming: no spaces or slashes, because package-benchmark writes threshold files with those
// replaced by `_` but reads them back under the name as it is. `<subject>.<ours>` pairs with
// `<subject>.reference_<library>`; scripts/bench_micro_report.py pairs them by that rule.
//
// Run: `make bench-micro` from the repository root.
import Benchmark

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        // Every iteration is 1,000 operations, so one clock read covers many short calls;
        // the report and the per-op malloc counts divide by it.
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 1_000,
        thresholds: HotPathThresholds.all
    )
    registerProtobufBenchmarks()
    registerGRPCFramingBenchmarks()
    registerPayloadBenchmarks()
    registerNATSBenchmarks()
    registerInvocationBenchmarks()
    registerLoopbackServerBenchmark()
}
