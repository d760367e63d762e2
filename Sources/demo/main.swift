// The demo: the design's usage examples, end to end, on the OaaS runtime.
//
//   swift run demo           the server-only example (calls math.Calculator and friends through
//                            the built-in gRPC client), then the agent-only, combined and
//                            independence examples on the bus (embedded unless OPRC_BUS_URL
//                            names a NATS server); exits 0.
//   swift run demo serve [--port N] [--bus URL] [--agent CLASS[:OBJECT]]... [--no-server]
//                            hosts the demo services and agents until SIGINT or SIGTERM, then
//                            drains; prints `AGENT <id>`, `LISTENING <port>` and `READY`.
//                            `--store URL` says where objects live (default: a SQLite file
//                            under ./oaas-data/).
//   swift run demo objects [--store URL] [CLASS [OBJECT]]
//                            lists the stored classes and objects, or prints one object's
//                            fields as JSON.
#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())

func usage() -> Never {
    complain("usage: demo [serve [--port N] [--store URL] [--bus embedded|nats://host:port[,...]] [--agent CLASS[:OBJECT]]... [--no-server]]")
    complain("       demo objects [--store URL] [CLASS [[PARTITION/]OBJECT]]")
    exit(2)
}

switch arguments.first {
case nil:
    do {
        try await ServerOnlyExample.run()
        try await AgentExamples.run()
    } catch {
        complain("demo failed: \(error)")
        exit(1)
    }
case "serve":
    // Before anything can start a thread: see StopSignal.
    let stopSignal = StopSignal()
    var options = ServeCommand.Options()
    var rest = arguments.dropFirst()
    while let option = rest.popFirst() {
        switch option {
        case "--port":
            guard let value = rest.popFirst(), let number = Int(value), (0...65535).contains(number) else { usage() }
            options.port = number
        case "--bus":
            guard let value = rest.popFirst() else { usage() }
            options.busURL = value
        case "--store":
            guard let value = rest.popFirst() else { usage() }
            options.storeURL = value
        case "--agent":
            guard let value = rest.popFirst(), !value.isEmpty else { usage() }
            options.agents.append(value)
        case "--no-server":
            options.server = false
        default:
            usage()
        }
    }
    do {
        try await ServeCommand.run(options, stopSignal: stopSignal)
    } catch {
        complain("demo serve failed: \(error)")
        exit(1)
    }
case "objects":
    var storeURL: String?
    var positional: [String] = []
    var rest = arguments.dropFirst()
    while let argument = rest.popFirst() {
        if argument == "--store" {
            guard let value = rest.popFirst() else { usage() }
            storeURL = value
        } else if argument.hasPrefix("-") {
            usage()
        } else {
            positional.append(argument)
        }
    }
    guard positional.count <= 2 else { usage() }
    exit(await ObjectsCommand.run(storeURL: storeURL, classID: positional.first, object: positional.count > 1 ? positional[1] : nil))
default:
    usage()
}
