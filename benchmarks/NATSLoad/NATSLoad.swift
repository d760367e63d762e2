// nats-load: a closed-loop NATS request-reply load generator on one event-loop thread, for the
// agent benchmarks (scripts/bench-agents.sh).
//
//   nats-load --url nats://127.0.0.1:4222 -c 64 --warmup 2 --duration 10 --json
//   nats-load --url nats://127.0.0.1:4222 -n 1024 -c 4 --check invocation-response
//   nats-load --print-subject      # oprc.math~2ECalculator.0.objects.*.invokes.add
//
// It sends through OaasBus's own NATSClient (the client our callers use), so the same code
// sends to the echo responder (the floor) and to our agent, and the ratio of the two compares
// responders under one generator. Its own CPU time is reported, to show it was not the limit.
import BenchSupport
import OaasBus
import OaasLoop

#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry point; see `NATSLoadOptions.usage`.
@main
enum NATSLoad {
    static func main() {
        let options: NATSLoadOptions
        do {
            options = try NATSLoadOptions.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            StandardError.line("nats-load: \(error)\n\(NATSLoadOptions.usage)")
            exit(2)
        }
        if options.printSubject {
            print(InvocationRequests.classWideSubject(options))
            exit(0)
        }
        let requests: InvocationRequests
        do {
            requests = try InvocationRequests(options)
        } catch {
            StandardError.line("nats-load: \(error)")
            exit(2)
        }

        // An embedded loop on this very thread: the whole generator is one thread, so its CPU
        // use is at most one core, and its utilisation says how close it came to its limit.
        let loop: EventLoop
        let client: NATSClient
        do {
            loop = try EventLoop.makeEmbedded(name: "nats-load")
            var configuration = NATSClientConfiguration(servers: options.url)
            configuration.name = "nats-load"
            // A lost connection during a benchmark is a result to report, not to paper over.
            configuration.maxReconnectAttempts = 0
            client = try NATSClient(loop: loop, configuration: configuration)
        } catch {
            StandardError.line("nats-load: \(error)")
            exit(2)
        }
        let run = NATSLoadRun(loop: loop, client: client, options: options, requests: requests) {
            loop.stop(gracePeriod: .seconds(2))
        }
        run.start()
        loop.run()

        let report = NATSLoadReport(run: run, json: options.json)
        print(report.output)
        exit(report.exitStatus)
    }
}
