// swift-tools-version: 6.1
// grpc-swift-reference: the oprc.OprcFunction service on grpc-swift 2 (NIO transport), the
// server a Swift user would otherwise pick, so the gRPC benchmark can measure ours beside it in
// the same run. Its own package so that neither the runtime's nor the harness's build pulls in
// NIO and gRPC; see README.md.
import PackageDescription

let package = Package(
    name: "grpc-swift-reference",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The oprc messages, generated once in the runtime's OaasProto: the same types our server
        // decodes, and no second copy of the generated code.
        .package(name: "oaas-swift", path: "../.."),
        // Exact versions: the reference is a fixed point to compare against, not a moving one.
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        // NIOPosix directly, for the one-thread event-loop group and `--one-thread`; the floor
        // is the one grpc-swift-nio-transport 2.9.2 asks for.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.96.0"),
    ],
    targets: [
        .executableTarget(
            name: "grpc-swift-reference",
            dependencies: [
                .product(name: "OaasProto", package: "oaas-swift"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
