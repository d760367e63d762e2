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
        // Only to decode an InvocationResponse when `oaas-load --check-payload` asks for it.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
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
        // `oaas-load`: a closed-loop HTTP/2 / gRPC load generator on one event-loop thread,
        // for calls h2load cannot make (a different request body per call). See
        // LoadGenerator/OaasLoad.swift; scripts/bench-grpc.sh runs it with LOAD_SCENARIOS.
        .executableTarget(
            name: "oaas-load",
            dependencies: [
                .product(name: "OaasLoop", package: "oaas-swift"),
                .product(name: "OaasHTTP2", package: "oaas-swift"),
                .product(name: "OaasGRPC", package: "oaas-swift"),
                .product(name: "OaasProto", package: "oaas-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "LoadGenerator",
            // jemalloc, as Debian's h2load uses: with thousands of streams in flight nghttp2's
            // per-stream allocations outrun glibc malloc's per-thread cache, and the generator
            // measured about 25% more CPU per call at 64x100 with glibc malloc than with it.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
    ],
    swiftLanguageModes: [.v6]
)
