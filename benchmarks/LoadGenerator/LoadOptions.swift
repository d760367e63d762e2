#if canImport(Glibc)
import Glibc  // exit(), isatty()
#endif

/// What the command line asked for. A plain value, read once at start.
struct LoadOptions {
    /// Where each request's body comes from.
    enum BodySource {
        /// `--invoke-obj CLS:FN:PAYLOAD:OBJECTS`: one InvokeObj request per object id.
        case invokeObject(InvokeObjectSpec)
        /// `--body-file PATH` (repeatable): each file sent as it is, rotated.
        case files([String])
        /// Neither: requests carry an empty body (only sensible with `--http-only`).
        case empty
    }

    /// When the measured phase ends.
    enum Stop {
        /// `--duration S`: after S seconds; what completes in that window is counted.
        case duration(seconds: Int)
        /// `-n N`: after exactly N requests were started and finished.
        case count(Int)
    }

    var host = "127.0.0.1"
    var port = 0
    /// `--port P1,P2,...`: every port given; connection i goes to the (i mod count)-th, so one
    /// generator can load several server processes (e.g. two sharing one object store).
    var ports: [Int] = []
    var path = "/oprc.OprcFunction/InvokeObj"
    /// `--method`; nil picks one from the body source (`resolvedMethod`).
    var method: String?
    var connections = 1
    /// The cap on requests in flight per connection, in either load model.
    var streams = 1
    /// `--rate R`: open loop, R requests per second in total, started at fixed intended times
    /// whatever the server does; nil: closed loop (each connection keeps `streams` in flight).
    var rate: Double?
    var warmupSeconds = 0
    var stop = Stop.duration(seconds: 10)
    var body = BodySource.empty
    var httpOnly = false
    var checkPayload = false
    var json = false
    var extraHeaders: [(name: String, value: String)] = []
    var connectTimeoutSeconds = 5
    /// `--timeout`: once no more requests start, how long those in flight may still take.
    var finalTimeoutSeconds = 10
    /// Per-second progress lines on stderr: on by default only when stderr is a terminal, so a
    /// harness reading stderr gets them only when it asks (`--progress`); `--quiet` turns them
    /// off. Phase changes are printed either way.
    var progress = isatty(2) == 1

    /// The request method: `--method`, else POST whenever there is a body, else GET.
    var resolvedMethod: String {
        if let method { return method }
        if case .empty = body { return "GET" }
        return "POST"
    }

    static let usage = """
        usage: oaas-load --port P[,P...] [--host H] [--path /pkg.Service/Method]
                         (--invoke-obj CLS:FN:PAYLOAD:OBJECTS | --body-file PATH ...)
                         [-c CONNECTIONS] [-m STREAMS] [--rate R] [--duration S] [--warmup S]
                         [-n REQUESTS] [--http-only] [--method POST|GET] [-H 'name: value' ...]
                         [--check-payload] [--json] [--connect-timeout S] [--timeout S]
                         [--progress | --quiet]

        An HTTP/2 load generator on one thread, for --duration seconds after --warmup seconds
        (or -n requests), counted from the moment every connection is up (or failed).
        Closed loop (default): -c connections, each keeping -m streams in flight; a new request
        starts when one ends, so latency is from sending a request to its stream's close.
        Open loop (--rate R): R requests per second in total, request i meant to start at
        t0 + i/R whatever the server does, on -c connections with at most -m in flight each.
        Latency is then measured from the INTENDED start, not the send: a server that stalls
        delays the requests queued behind the stall, and a closed loop (or an open loop timing
        from the send) would quietly send fewer requests during the stall and never record
        that wait ("coordinated omission"). Requests that could not start on time (no free
        stream, or the generator itself late) still count their wait, and the report gives the
        schedule lag, how many started late, and whether the target rate was reached.
        Pacing: the requests due are started at the end of every loop turn that saw a reply
        and by a 1 ms loop timer; so under load a start trails its time by a loop turn, and
        when the loop is idle by up to a millisecond or two (counted, shown as schedule lag).

          --port P1,P2  several servers on one host: connection i goes to the (i mod n)-th port
          --invoke-obj CLS:FN:PAYLOAD:OBJECTS  gRPC InvokeObj bodies for object ids obj-0 ..
                        obj-(OBJECTS-1), rotated per request (PAYLOAD may contain ':')
          --body-file PATH  a ready request body (gRPC-framed for gRPC servers); repeatable,
                        rotated per request
          --rate R      open loop at R requests per second in total (a decimal number); the
                        measured latency then includes any wait behind schedule (see above)
          --http-only   success is HTTP :status 200 (no grpc-status needed), for servers such
                        as nghttpd; no gRPC headers are sent
          --method M    default POST with a body, GET without (a GET still ends its stream with
                        an empty DATA frame: the HTTP/2 session API always opens a body)
          --check-payload  decode each reply as oprc.InvocationResponse; status must be OKAY
          --json        print one JSON object with the results on stdout at the end
          --timeout S   once no more requests are started, how long to wait for those in
                        flight; then they count as failed (reason "timeout"). Default 10
          --connect-timeout S  default 5
          --progress    a progress line on stderr each second (phase, time or requests so far,
                        live rate, failures; the schedule with --rate), even when stderr is not
                        a terminal; each starts with "t=". Default: only on a terminal
          --quiet       no progress lines on stderr
        Defaults: --host 127.0.0.1 --path /oprc.OprcFunction/InvokeObj -c 1 -m 1
                  --duration 10 --warmup 0
        Exit status: 0 all requests succeeded, 1 any failure, 2 bad usage, 3 no connection
        (an open-loop run that missed its rate but failed nothing exits 0: see the report).
        """

    struct BadOption: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws(BadOption) -> LoadOptions {
        var options = LoadOptions()
        var bodyFiles: [String] = []
        var index = 0
        func value(_ option: String) throws(BadOption) -> String {
            index += 1
            guard index < arguments.count else { throw BadOption(description: "\(option) needs a value") }
            return arguments[index]
        }
        func number(_ option: String, minimum: Int) throws(BadOption) -> Int {
            let text = try value(option)
            guard let number = Int(text), number >= minimum else {
                throw BadOption(description: "\(option) needs a whole number ≥ \(minimum), not '\(text)'")
            }
            return number
        }
        while index < arguments.count {
            let option = arguments[index]
            switch option {
            case "--host": options.host = try value(option)
            case "--port":
                let text = try value(option)
                let parts = text.split(separator: ",", omittingEmptySubsequences: false)
                var ports: [Int] = []
                for part in parts {
                    guard let port = Int(part), (1...65535).contains(port) else {
                        throw BadOption(description: "--port needs ports 1-65535, comma-separated, not '\(text)'")
                    }
                    ports.append(port)
                }
                options.ports = ports
                options.port = ports[0]
            case "--path": options.path = try value(option)
            case "--method": options.method = try value(option).uppercased()
            case "-c", "--connections": options.connections = try number(option, minimum: 1)
            case "-m", "--streams": options.streams = try number(option, minimum: 1)
            case "--warmup", "--warm-up": options.warmupSeconds = try number(option, minimum: 0)
            case "--duration", "-D": options.stop = .duration(seconds: try number(option, minimum: 1))
            case "-n", "--requests": options.stop = .count(try number(option, minimum: 1))
            case "--invoke-obj": options.body = .invokeObject(try InvokeObjectSpec.parse(try value(option)))
            case "--body-file": bodyFiles.append(try value(option))
            case "--http-only": options.httpOnly = true
            case "--check-payload": options.checkPayload = true
            case "--json": options.json = true
            case "--quiet": options.progress = false
            case "--progress": options.progress = true
            case "--rate":
                let text = try value(option)
                guard let rate = Double(text), rate.isFinite, rate > 0, rate <= 100_000_000 else {
                    throw BadOption(description: "--rate needs requests per second > 0, not '\(text)'")
                }
                options.rate = rate
            case "--connect-timeout": options.connectTimeoutSeconds = try number(option, minimum: 1)
            case "--timeout": options.finalTimeoutSeconds = try number(option, minimum: 1)
            case "-H", "--header":
                let text = try value(option)
                // Split at the first ':' after the first character, so ':authority: x' works.
                guard let colon = text.dropFirst().firstIndex(of: ":") else {
                    throw BadOption(description: "\(option) needs 'name: value', not '\(text)'")
                }
                let name = text[..<colon].lowercased()
                let rest = text[text.index(after: colon)...].drop { $0 == " " }
                options.extraHeaders.append((name, String(rest)))
            case "--help", "-h":
                print(usage)
                exit(0)
            default:
                throw BadOption(description: "unknown option '\(option)'")
            }
            index += 1
        }
        if !bodyFiles.isEmpty {
            if case .invokeObject = options.body {
                throw BadOption(description: "--invoke-obj and --body-file exclude each other")
            }
            options.body = .files(bodyFiles)
        }
        if options.port == 0 { throw BadOption(description: "--port is required") }
        if case .empty = options.body, !options.httpOnly {
            throw BadOption(description: "a gRPC call needs --invoke-obj or --body-file (or pass --http-only)")
        }
        if options.checkPayload, options.httpOnly {
            throw BadOption(description: "--check-payload reads a gRPC reply; it cannot go with --http-only")
        }
        return options
    }
}

/// `--invoke-obj CLS:FN:PAYLOAD:OBJECTS`, split. The payload is everything between the second
/// colon and the last one, so JSON payloads such as `{"a":1}` need no escaping.
struct InvokeObjectSpec {
    let classID: String
    let functionID: String
    let payload: String
    let objectCount: Int

    static func parse(_ text: String) throws(LoadOptions.BadOption) -> InvokeObjectSpec {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 4, let count = Int(parts[parts.count - 1]), count >= 1,
              !parts[0].isEmpty, !parts[1].isEmpty else {
            throw LoadOptions.BadOption(description: "--invoke-obj needs CLS:FN:PAYLOAD:OBJECTS (OBJECTS ≥ 1), not '\(text)'")
        }
        return InvokeObjectSpec(classID: String(parts[0]), functionID: String(parts[1]),
                                payload: parts[2..<(parts.count - 1)].joined(separator: ":"),
                                objectCount: count)
    }
}
