// The demo for this stage of the project: one libuv loop driving a TCP echo server and a gRPC
// server, each with a client on the same loop.
//
//   swift run demo              runs both conversations, prints what happened, and stops
//                               cleanly.
//   swift run demo --serve [P]  keeps serving on 127.0.0.1:P (default 7777) until SIGINT or
//                               SIGTERM; a second signal stops at once.
import OaasLoop

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
let serveForever = arguments.first == "--serve"
let requestedPort = serveForever ? (arguments.dropFirst().first.flatMap(Int.init) ?? 7777) : 0

let loop: EventLoop
do {
    loop = try EventLoop.startOwned(name: "demo-loop")
} catch {
    say("could not start the event loop: \(error)")
    exit(1)
}

try! loop.execute {
    let server: TCPListener
    do {
        server = try EchoServer.start(loop: loop, port: requestedPort)
    } catch {
        say("could not start the echo server: \(error)")
        loop.stop()
        return
    }
    say("echo server listening on \(server.address)")
    SignalStop.install(loop: loop, server: server)
    loop.onShutdown { server.close() }
    if !serveForever {
        EchoClient.talk(loop: loop, port: server.port, lines: ["hello", "from the OaaS loop", "goodbye"]) {
            GRPCDemo.run(loop: loop) { loop.stop(gracePeriod: .seconds(1)) }
        }
    } else {
        say("try: printf 'hi\\n' | nc 127.0.0.1 \(server.port)   (Ctrl-C to stop)")
    }
}

let report = loop.join()
say("loop stopped: \(report.isClean ? "clean" : "NOT clean") (\(report))")
exit(report.isClean ? 0 : 1)
