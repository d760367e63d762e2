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
    ],
    swiftLanguageModes: [.v6]
)
