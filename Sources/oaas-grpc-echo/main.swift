// The gRPC echo server that the interop tests and the load benchmark run against.
//
//   oaas-grpc-echo [--host H] [--port P] [--max-receive-message-bytes N]
//                  [--max-concurrent-streams N] [--max-connections N] [--drain-seconds S]
//
// Prints `LISTENING <port>` once serving. SIGINT/SIGTERM drain gracefully, then print
// `STATUS_COUNTS {"<grpc-status>": <calls>, ...}` and exit 0; a second signal exits at once.
import OaasGRPC
import OaasLoop

#if canImport(Glibc)
import Glibc
#endif

let configuration: GRPCServerConfiguration
do {
    configuration = try EchoOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    Output.error("\(error)\n\(EchoOptions.usage)")
    exit(2)
}

let loop: EventLoop
do {
    loop = try EventLoop.startOwned(name: "grpc-echo")
} catch {
    Output.error("could not start the event loop: \(error)")
    exit(1)
}

try! loop.execute {
    let server = GRPCServer(loop: loop, configuration: configuration)
    EchoService.register(on: server)
    server.enableHealthService()
    server.enableReflection()
    do {
        try server.start()
    } catch {
        Output.error("could not start the server: \(error)")
        exit(1)
    }
    Output.line("LISTENING \(server.port)")

    var signals = 0
    for number in [SIGINT, SIGTERM] {
        _ = try? LoopSignal(loop: loop, signal: number) { _ in
            signals += 1
            guard signals == 1 else { exit(130) }
            server.shutdown {
                Output.line("STATUS_COUNTS \(EchoService.statusCountsJSON(server.stats))")
                loop.stop(gracePeriod: .seconds(1))
            }
        }
    }
}

let report = loop.join()
exit(report.loopCloseStatus == 0 ? 0 : 1)
