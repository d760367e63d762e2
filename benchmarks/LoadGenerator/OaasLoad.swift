// oaas-load: an HTTP/2 / gRPC load generator on one event-loop thread, closed loop (fixed
// concurrency) or open loop (`--rate`: fixed arrival rate, latency from each request's
// intended start, so a stalling server cannot hide behind the generator's politeness).
//
//   oaas-load --port P --invoke-obj math.Calculator:add:1:64 -c 64 -m 100 --warmup 2 --duration 10 --json
//   oaas-load --port P --http-only --path /echo.json --body-file body.bin -c 16 -m 10 --json
//   oaas-load --port P --invoke-obj math.Calculator:add:1:64 -c 16 -m 10 --rate 40000 --json --progress
//
// Why not h2load: h2load sends one fixed body with every request, so it cannot spread calls
// over many objects (the object id is inside the protobuf body). This sends pre-encoded
// bodies in rotation, judges every reply by its grpc-status (h2load reads only :status),
// records every latency in an HdrHistogram (h2load gives mean and max), and reports its own
// CPU use (and, open loop, how far it fell behind its schedule) so a run can show the
// generator was not the bottleneck. (h2load's --rate opens connections at a rate; it does not
// pace requests.)
//
// It is built on OaasLoop and OaasHTTP2 directly, not on GRPCClient, to keep the per-request
// work small: no call objects, completions, timers or message encoding per request.
import BenchSupport
import OaasLoop

#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry point; see `LoadOptions.usage`.
@main
enum OaasLoad {
    static func main() {
        let options: LoadOptions
        do {
            options = try LoadOptions.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            StandardError.line("oaas-load: \(error)\n\(LoadOptions.usage)")
            exit(2)
        }
        let addresses: [SocketAddress]
        let bodies: RequestBodies
        do {
            addresses = try options.ports.map { try SocketAddress(host: options.host, port: $0) }
            bodies = try RequestBodies.make(options.body)
        } catch {
            StandardError.line("oaas-load: \(error)")
            exit(2)
        }

        // An embedded loop on this very thread: the whole generator is one thread, so its CPU
        // time is one core's worth at most, like `h2load -t 1`.
        let loop: EventLoop
        do {
            loop = try EventLoop.makeEmbedded(name: "oaas-load")
        } catch {
            StandardError.line("oaas-load: could not create the event loop: \(error)")
            exit(1)
        }
        let run = LoadRun(loop: loop, options: options, addresses: addresses, bodies: bodies) {
            // Connections close themselves within the grace period (GOAWAY, then FIN).
            loop.stop(gracePeriod: .seconds(2))
        }
        run.start()
        loop.run()

        let report = LoadReport(run: run)
        if options.json {
            print(report.json)
        } else {
            print(report.text)
        }
        exit(report.exitStatus)
    }
}
