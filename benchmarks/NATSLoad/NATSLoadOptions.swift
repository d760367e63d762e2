import BenchSupport

#if canImport(Glibc)
import Glibc  // exit()
#endif

/// What the command line asked for. A plain value, read once at start.
struct NATSLoadOptions {
    /// When the measured phase ends.
    enum Stop {
        /// `--duration S`: after S seconds; what completes in that window is counted.
        case duration(seconds: Int)
        /// `-n N`: after exactly N requests were started and ended.
        case count(Int)
    }

    /// `--check KIND`: how a reply is judged beyond "a reply came".
    enum Check: String {
        /// `invocation-response`: decodes as `oprc.InvocationResponse` with status OKAY (our agent).
        case invocationResponse = "invocation-response"
        /// `echo`: the very bytes of the request (the echo responder).
        case echo
    }

    var url = ""
    var callers = 1
    var warmupSeconds = 0
    var stop = Stop.duration(seconds: 10)
    var classID = "math.Calculator"
    var function = "add"
    var payload = "1"
    var objects = 64
    var partition: UInt32 = 0
    /// Each request's own timeout: then it counts as failed (`timeout`).
    var timeoutSeconds = 5
    var check: Check?
    /// With `--check`: judge every Nth reply (1 = all). A sample keeps the check's decoding cost
    /// out of the timed runs' generator CPU while still proving the replies right.
    var checkEvery = 1
    var json = false
    var progress = true
    var printSubject = false

    static let usage = """
        usage: nats-load --url nats://HOST:PORT [-c CALLERS] [--duration S | -n REQUESTS] [--warmup S]
                         [--class CLS] [--function FN] [--payload JSON] [--objects N] [--partition P]
                         [--timeout S] [--check invocation-response|echo] [--check-every N]
                         [--json] [--quiet]
               nats-load --print-subject [--class CLS] [--function FN] [--partition P]

        A closed-loop NATS request-reply load generator on one thread: CALLERS requests always
        outstanding, for --duration seconds after --warmup seconds (or -n requests). Each request
        is a pre-encoded oprc.ObjectInvocationRequest for FN with PAYLOAD, sent to the bus key of
        object 0 .. N-1 in rotation (`oprc/{CLS}/{P}/objects/{id}/invokes/{FN}`, mapped to its
        NATS subject by OaasBus), through OaasBus's NATSClient.

          --check KIND    invocation-response: the reply must decode as oprc.InvocationResponse
                          with status OKAY (our agents); echo: it must equal the request bytes
          --check-every N judge every Nth reply only (default 1: all)
          --timeout S     each request's timeout; a late reply counts as failed. Default 5
          --print-subject print the NATS subject a class-wide agent of FN subscribes, and exit
          --json          one JSON object with the results on stdout at the end
          --quiet         no progress lines on stderr (phase changes are still printed)
        Defaults: -c 1 --duration 10 --warmup 0 --class math.Calculator --function add
                  --payload 1 --objects 64 --partition 0
        Exit status: 0 all requests succeeded, 1 any failure, 2 bad usage, 3 no connection.
        """

    static func parse(_ list: [String]) throws(Arguments.Bad) -> NATSLoadOptions {
        var options = NATSLoadOptions()
        var arguments = Arguments(list)
        while let option = arguments.next() {
            switch option {
            case "--url": options.url = try arguments.value(of: option)
            case "-c", "--callers": options.callers = try arguments.number(of: option, minimum: 1)
            case "--warmup", "--warm-up": options.warmupSeconds = try arguments.number(of: option, minimum: 0)
            case "--duration", "-D": options.stop = .duration(seconds: try arguments.number(of: option, minimum: 1))
            case "-n", "--requests": options.stop = .count(try arguments.number(of: option, minimum: 1))
            case "--class": options.classID = try arguments.value(of: option)
            case "--function": options.function = try arguments.value(of: option)
            case "--payload": options.payload = try arguments.value(of: option)
            case "--objects": options.objects = try arguments.number(of: option, minimum: 1)
            case "--partition": options.partition = UInt32(try arguments.number(of: option, minimum: 0))
            case "--timeout": options.timeoutSeconds = try arguments.number(of: option, minimum: 1)
            case "--check":
                let text = try arguments.value(of: option)
                guard let check = Check(rawValue: text) else {
                    throw Arguments.Bad("--check takes invocation-response or echo, not '\(text)'")
                }
                options.check = check
            case "--check-every": options.checkEvery = try arguments.number(of: option, minimum: 1)
            case "--json": options.json = true
            case "--quiet": options.progress = false
            case "--print-subject": options.printSubject = true
            case "--help", "-h":
                print(usage)
                exit(0)
            default:
                throw Arguments.Bad("unknown option '\(option)'")
            }
        }
        if options.url.isEmpty, !options.printSubject { throw Arguments.Bad("--url is required") }
        return options
    }
}
