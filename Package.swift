// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "oaas-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "OaasLoop", targets: ["OaasLoop"]),
        .library(name: "OaasHTTP2", targets: ["OaasHTTP2"]),
        .executable(name: "demo", targets: ["demo"]),
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
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),

        .target(name: "OaasLoop", dependencies: ["CLibUV"]),
        .target(name: "OaasHTTP2", dependencies: ["CNGHTTP2"]),
        .executableTarget(name: "demo", dependencies: ["OaasLoop"]),

        .testTarget(name: "OaasLoopTests", dependencies: ["OaasLoop"]),
        .testTarget(name: "OaasHTTP2Tests", dependencies: ["OaasHTTP2"]),
    ],
    swiftLanguageModes: [.v6]
)
