import BenchSupport

#if canImport(Glibc)
import Glibc  // exit()
#endif

/// How a call reaches `math.Calculator/add` in this process.
enum CallPath: String, CaseIterable, Sendable {
    /// `oaas.invoke`: the in-process server path (mock mode: the server's invocation handler,
    /// no socket). The reference.
    case server
    /// `oaas.invokeViaBus`: an `ObjectInvocationRequest` over the embedded bus to a class-wide
    /// agent, answered with an `InvocationResponse`.
    case bus
}

/// What the command line asked for. A plain value, read once at start.
struct BusLoadOptions {
    var callers = [1, 64]
    var paths: [CallPath] = [.server, .bus]
    var warmupSeconds = 2
    var durationSeconds = 10
    var objects = 64
    var payload = "1"
    var timeoutSeconds = 5
    var json = false

    static let usage = """
        usage: bus-load [--callers 1,64] [--paths server,bus] [--warmup S] [--duration S]
                        [--objects N] [--payload JSON] [--timeout S] [--json]

        In one process: registers math.Calculator (add), starts the server in mock mode and a
        class-wide agent on the embedded bus, then, for each caller count, measures
        math.Calculator/add with that many concurrent tasks through each path in turn (a
        closed loop: each task calls again when its call returns), over objects 0 .. N-1:

          server  oaas.invoke: the in-process server path, the reference
          bus     oaas.invokeViaBus: the embedded bus to the agent

        Every call must answer status OKAY. Defaults: --callers 1,64 --paths server,bus
        --warmup 2 --duration 10 --objects 64 --payload 1 --timeout 5.
        Exit status: 0 all calls succeeded, 1 any failure, 2 bad usage or setup.
        """

    static func parse(_ list: [String]) throws(Arguments.Bad) -> BusLoadOptions {
        var options = BusLoadOptions()
        var arguments = Arguments(list)
        while let option = arguments.next() {
            switch option {
            case "--callers", "-c": options.callers = try arguments.numbers(of: option, minimum: 1)
            case "--paths":
                let text = try arguments.value(of: option)
                var paths: [CallPath] = []
                for name in text.split(separator: ",") {
                    guard let path = CallPath(rawValue: String(name)) else {
                        throw Arguments.Bad("--paths takes server and/or bus, not '\(name)'")
                    }
                    paths.append(path)
                }
                if paths.isEmpty { throw Arguments.Bad("--paths needs at least one path") }
                options.paths = paths
            case "--warmup", "--warm-up": options.warmupSeconds = try arguments.number(of: option, minimum: 0)
            case "--duration", "-D": options.durationSeconds = try arguments.number(of: option, minimum: 1)
            case "--objects": options.objects = try arguments.number(of: option, minimum: 1)
            case "--payload": options.payload = try arguments.value(of: option)
            case "--timeout": options.timeoutSeconds = try arguments.number(of: option, minimum: 1)
            case "--json": options.json = true
            case "--help", "-h":
                print(usage)
                exit(0)
            default:
                throw Arguments.Bad("unknown option '\(option)'")
            }
        }
        return options
    }
}
