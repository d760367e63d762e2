// The demo: the design's server-only example, end to end, on the OaaS runtime.
//
//   swift run demo                  starts the server, calls math.Calculator and friends through
//                                   the built-in gRPC client, prints results and serverInfo,
//                                   stops, and exits 0.
//   swift run demo serve --port N   hosts the demo services on port N (0: any free port) until
//                                   SIGINT or SIGTERM, then drains; prints `LISTENING <port>`.
#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())

func usage() -> Never {
    say("usage: demo [serve [--port N]]")
    exit(2)
}

switch arguments.first {
case nil:
    do {
        try await ServerOnlyExample.run()
    } catch {
        say("demo failed: \(error)")
        exit(1)
    }
case "serve":
    var port = 8080
    var rest = arguments.dropFirst()
    while let option = rest.popFirst() {
        guard option == "--port", let value = rest.popFirst(), let number = Int(value), (0...65535).contains(number) else {
            usage()
        }
        port = number
    }
    do {
        try ServeCommand.run(port: port)
    } catch {
        say("demo serve failed: \(error)")
        exit(1)
    }
default:
    usage()
}
