// swift-tools-version: 6.1
// The benchmark harness: its own package, so `swift build` / `swift test` of the runtime never
// build it. Run it with `make bench-loop` (or `swift package benchmark` in this folder).
import PackageDescription

let package = Package(
    name: "oaas-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The runtime, under a fixed name whatever folder the checkout lives in.
        .package(name: "oaas-swift", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // To decode an InvocationResponse when `oaas-load --check-payload` asks for it, and to
        // encode nats-load's requests once at start.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        // HdrHistogram: oaas-load records every request's latency in one (fixed memory, 3
        // significant digits), where a list of samples would grow with the run.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "LoopBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OaasLoop", package: "oaas-swift"),
            ],
            path: "Benchmarks/LoopBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The hot paths that do no I/O (protobuf, gRPC framing, payload JSON, NATS parsing, the
        // object queue, whole in-memory calls) and one whole server call over loopback, with
        // allocation thresholds in Thresholds/. `make bench-micro` runs it.
        .executableTarget(
            name: "HotPathBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OaaS", package: "oaas-swift"),
                .product(name: "OaasBus", package: "oaas-swift"),
                .product(name: "OaasGRPC", package: "oaas-swift"),
                .product(name: "OaasLoop", package: "oaas-swift"),
                .product(name: "OaasProto", package: "oaas-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Benchmarks/HotPathBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // `oaas-load`: an HTTP/2 / gRPC load generator on one event-loop thread, closed loop or
        // open loop (`--rate`), for calls h2load cannot make (a different request body per
        // call) and latencies it does not give (every one, in an HdrHistogram). See
        // LoadGenerator/OaasLoad.swift; scripts/bench-grpc.sh runs it with LOAD_SCENARIOS.
        .executableTarget(
            name: "oaas-load",
            dependencies: [
                "BenchSupport",
                .product(name: "OaasLoop", package: "oaas-swift"),
                .product(name: "OaasHTTP2", package: "oaas-swift"),
                .product(name: "OaasGRPC", package: "oaas-swift"),
                .product(name: "OaasProto", package: "oaas-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "LoadGenerator",
            // jemalloc, as Debian's h2load uses: with thousands of streams in flight nghttp2's
            // per-stream allocations outrun glibc malloc's per-thread cache, and the generator
            // measured about 25% more CPU per call at 64x100 with glibc malloc than with it.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        // What the agent benchmarks' generators share: clocks (CPU time too), exact latency
        // percentiles, the counting rules and the JSON report pieces.
        .target(name: "BenchSupport", path: "BenchSupport"),
        // `nats-load`: a closed-loop NATS request-reply generator on one event-loop thread,
        // through OaasBus's NATSClient, sending pre-encoded ObjectInvocationRequests. See
        // NATSLoad/NATSLoad.swift; scripts/bench-agents.sh runs it against the libnats echo
        // responder (benchmarks/nats-echo) and the demo's agent.
        .executableTarget(
            name: "nats-load",
            dependencies: [
                "BenchSupport",
                .product(name: "OaasBus", package: "oaas-swift"),
                .product(name: "OaasLoop", package: "oaas-swift"),
                .product(name: "OaasProto", package: "oaas-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "NATSLoad"
        ),
        // `bus-load`: the embedded-bus scenario, in one process: oaas.invokeViaBus to a
        // class-wide agent beside oaas.invoke (mock-mode server) as the reference.
        .executableTarget(
            name: "bus-load",
            dependencies: [
                "BenchSupport",
                .product(name: "OaaS", package: "oaas-swift"),
                .product(name: "OaasProto", package: "oaas-swift"),
            ],
            path: "BusLoad"
        ),
    ],
    swiftLanguageModes: [.v6]
)
