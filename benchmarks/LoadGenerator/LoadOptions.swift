#if canImport(Glibc)
import Glibc  // exit()
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
    var path = "/oprc.OprcFunction/InvokeObj"
    /// `--method`; nil picks one from the body source (`resolvedMethod`).
    var method: String?
    var connections = 1
    var streams = 1
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
    /// False with `--quiet`: no per-second progress lines (phase changes are still printed).
    var progress = true

    /// The request method: `--method`, else POST whenever there is a body, else GET.
    var resolvedMethod: String {
        if let method { return method }
        if case .empty = body { return "GET" }
        return "POST"
    }

    static let usage = """
        usage: oaas-load --port P [--host H] [--path /pkg.Service/Method]
                         (--invoke-obj CLS:FN:PAYLOAD:OBJECTS | --body-file PATH ...)
                         [-c CONNECTIONS] [-m STREAMS] [--duration S] [--warmup S] [-n REQUESTS]
                         [--http-only] [--method POST|GET] [-H 'name: value' ...]
                         [--check-payload] [--json] [--connect-timeout S] [--timeout S] [--quiet]

        A closed-loop HTTP/2 load generator on one thread: -c connections, each keeping -m
        streams in flight, for --duration seconds after --warmup seconds (or -n requests).

          --invoke-obj CLS:FN:PAYLOAD:OBJECTS  gRPC InvokeObj bodies for object ids obj-0 ..
                        obj-(OBJECTS-1), rotated per request (PAYLOAD may contain ':')
          --body-file PATH  a ready request body (gRPC-framed for gRPC servers); repeatable,
                        rotated per request
          --http-only   success is HTTP :status 200 (no grpc-status needed), for servers such
                        as nghttpd; no gRPC headers are sent
          --method M    default POST with a body, GET without (a GET still ends its stream with
                        an empty DATA frame: the HTTP/2 session API always opens a body)
          --check-payload  decode each reply as oprc.InvocationResponse; status must be OKAY
          --json        print one JSON object with the results on stdout at the end
          --timeout S   once no more requests are started, how long to wait for those in
                        flight; then they count as failed (reason "timeout"). Default 10
          --connect-timeout S  default 5
          --quiet       no progress lines on stderr
        Defaults: --host 127.0.0.1 --path /oprc.OprcFunction/InvokeObj -c 1 -m 1
                  --duration 10 --warmup 0
        Exit status: 0 all requests succeeded, 1 any failure, 2 bad usage, 3 no connection.
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
            case "--port": options.port = try number(option, minimum: 1)
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
