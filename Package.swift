// swift-tools-version: 6.1
import CompilerPluginSupport
import PackageDescription

let package = Package(
    name: "oaas-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "OaasLoop", targets: ["OaasLoop"]),
        .library(name: "OaasHTTP2", targets: ["OaasHTTP2"]),
        .library(name: "OaasGRPC", targets: ["OaasGRPC"]),
        .library(name: "OaasTesting", targets: ["OaasTesting"]),
        .executable(name: "demo", targets: ["demo"]),
        .executable(name: "oaas-grpc-echo", targets: ["oaas-grpc-echo"]),
        .library(name: "OaasProto", targets: ["OaasProto"]),
        .library(name: "OaaS", targets: ["OaaS"]),
        .library(name: "OaasBus", targets: ["OaasBus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config. Each is imported by exactly one
        // Swift module, with `internal import`, so no C type leaks into a public signature.
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        .target(name: "OaasLoop", dependencies: ["CLibUV"]),
        .target(name: "OaasHTTP2", dependencies: ["CNGHTTP2"]),
        // The durable object file: SQLite's C API behind blocking, thread-safe calls that the
        // object store runs on libuv's thread pool. The only module that imports CSQLite.
        .target(name: "OaasSQLite", dependencies: ["CSQLite", "OaasLoop"]),
        .testTarget(name: "OaasSQLiteTests", dependencies: ["OaasSQLite", "OaasLoop", "OaasTesting"]),
        .target(name: "OaasGRPC", dependencies: ["OaasHTTP2", "OaasLoop", "OaasProto", "CZlib"]),
        // The gRPC echo server the interop tests and the load benchmark run against.
        .executableTarget(name: "oaas-grpc-echo", dependencies: ["OaasGRPC", "OaasLoop", "OaasProto"]),
        .executableTarget(name: "demo", dependencies: ["OaaS", "OaasLoop", "OaasGRPC", "OaasProto"]),

        // The public API: services, objects, the store, invocation handlers, server management.
        .target(
            name: "OaaS",
            dependencies: [
                "OaasLoop", "OaasGRPC", "OaasProto", "OaasBus", "OaasMacros", "OaasSQLite",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Agent messaging: the Bus protocol, the embedded in-process bus, the NATS client on
        // the loop, and the platform's invocation keys with their NATS subject rule.
        .target(name: "OaasBus", dependencies: ["OaasLoop"]),
        .testTarget(name: "OaasBusTests", dependencies: ["OaasBus", "OaasLoop", "OaasTesting"]),
        // `@Service` and `@Method`: they expand into calls of OaaS's plain registration API.
        .macro(
            name: "OaasMacros",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
            ]
        ),

        // What tests need, ours and users': loops that prove they shut down clean, and friends.
        .target(name: "OaasTesting", dependencies: ["OaasLoop"]),

        .testTarget(name: "OaasLoopTests", dependencies: ["OaasLoop", "OaasTesting"]),
        .testTarget(name: "OaasHTTP2Tests", dependencies: ["OaasHTTP2", "OaasTesting"]),
        .testTarget(
            name: "OaaSTests",
            dependencies: [
                "OaaS", "OaasLoop", "OaasGRPC", "OaasProto", "OaasTesting", "OaasBus",
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "OaasMacrosTests",
            dependencies: [
                "OaasMacros",
                .product(name: "SwiftSyntaxMacrosTestSupport", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
            ]
        ),
        .testTarget(name: "OaasGRPCTests", dependencies: ["OaasGRPC", "OaasHTTP2", "OaasLoop", "OaasProto", "OaasTesting"]),
        // Messages generated once by scripts/generate-protos.sh and committed; the build never runs protoc.
        .target(name: "OaasProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(
            name: "OaasProtoTests",
            dependencies: ["OaasProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
