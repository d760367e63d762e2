// The oprc.OprcFunction service on grpc-swift 2 over its NIO HTTP/2 transport: the reference
// the gRPC benchmark measures our server beside. See README.md.
//
//   grpc-swift-reference [--host H] [--port P] [--max-concurrent-streams N] [--one-thread]
//
// Prints `LISTENING <port>` once bound; SIGINT/SIGTERM shut down gracefully and exit 0.
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String, status: Int32) -> Never {
    Console.error(message)
    exit(status)
}

let options: ReferenceOptions
do {
    options = try ReferenceOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail("\(error)\n\(ReferenceOptions.usage)", status: 2)
}
if options.help {
    Console.line(ReferenceOptions.usage)
    exit(0)
}

// One event-loop thread serves every connection, as the benchmark's targets assume. The RPC
// handlers are Swift concurrency jobs, which by default run on the global concurrency pool
// (one thread per CPU); `--one-thread` makes NIO's one-loop singleton group that pool too.
let loopGroup: MultiThreadedEventLoopGroup
if options.oneThread {
    NIOSingletons.groupLoopCountSuggestion = 1
    guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
        fail("could not make the event loop the Swift concurrency executor", status: 1)
    }
    loopGroup = .singleton
} else {
    loopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}

var config = HTTP2ServerTransport.Posix.Config.defaults
config.http2.maxConcurrentStreams = options.maxConcurrentStreams
let transport = HTTP2ServerTransport.Posix(
    address: .ipv4(host: options.host, port: options.port),
    transportSecurity: .plaintext,
    config: config,
    eventLoopGroup: loopGroup
)
let server = GRPCServer(transport: transport, services: [OprcFunctionService()])
let signalSources = ShutdownSignals.install { server.beginGracefulShutdown() }

do {
    try await withThrowingDiscardingTaskGroup { tasks in
        tasks.addTask { try await server.serve() }
        // Without an address the transport failed to bind; `serve()` throws why, so let that
        // error end the group rather than this one's vaguer "no listening address".
        guard let address = try? await transport.listeningAddress else { return }
        Console.line("LISTENING \(address.ipv4?.port ?? options.port)")
    }
} catch {
    fail("the server stopped: \(error)", status: 1)
}
withExtendedLifetime(signalSources) {}
exit(0)
