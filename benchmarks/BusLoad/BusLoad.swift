// bus-load: the embedded-bus scenario of the agent benchmarks (scripts/bench-agents.sh).
//
//   bus-load --callers 1,64 --warmup 2 --duration 10 --json
//
// One process, no sockets: math.Calculator/add called with 1 and with 64 concurrent tasks
// through `oaas.invokeViaBus` (the embedded bus to a class-wide agent) and, in the same run as
// the reference, through `oaas.invoke` (the in-process server path of mock mode). Both paths end
// in the same invocation engine on the runtime's one loop; the difference is what the bus adds:
// encoding the request, the bus hop, the agent's decode and the reply's encode and decode.
import BenchSupport
import OaaS

#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry point; see `BusLoadOptions.usage`.
@main
enum BusLoad {
    static func main() async {
        let options: BusLoadOptions
        do {
            options = try BusLoadOptions.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            StandardError.line("bus-load: \(error)\n\(BusLoadOptions.usage)")
            exit(2)
        }
        do {
            // Mock mode: `startServer` listens on nothing and `oaas.invoke` runs calls on the
            // server's handler in-process; mock mode always uses the embedded bus. Warnings
            // only: an info line per agent start is fine, but nothing should log per call.
            oaas.configure(try OaasConfig(mockMode: true, debugLevel: .warning, busURL: "embedded"))
            try oaas.register(BenchCalculator.self)
            try oaas.startServer()
            try await oaas.startAgent(BenchCalculator.self)
        } catch {
            StandardError.line("bus-load: setup failed: \(error)")
            exit(2)
        }

        // Interleaved (server then bus, per caller count) so that drift on a shared machine
        // hits both paths alike.
        var scenarios: [CallerScenario] = []
        for callers in options.callers {
            for path in options.paths {
                let scenario = await CallerScenario.run(path: path, callers: callers, options: options)
                CallerScenario.note("path=\(path.rawValue) callers=\(callers): \(scenario.tally.succeeded) succeeded, "
                    + "\(scenario.tally.failed) failed, "
                    + "\(Int((Double(scenario.tally.succeeded) / max(scenario.measuredSeconds, 1e-9)).rounded())) req/s")
                scenarios.append(scenario)
            }
        }
        let failed = scenarios.contains { $0.tally.failed > 0 || $0.tally.warmupFailed > 0 }

        await oaas.closeBus()
        try? await oaas.stopServer()

        var runs: [String] = []
        for index in scenarios.indices { runs.append(scenarios[index].json()) }
        var fields = JSONFields()
        fields.add("tool", "bus-load")
        fields.add("call", "math.Calculator/add payload '\(options.payload)' on objects 0..\(options.objects - 1)")
        fields.add("objects", options.objects)
        fields.add("warmup_seconds", options.warmupSeconds)
        fields.add("duration_seconds", options.durationSeconds)
        fields.add("timeout_seconds", options.timeoutSeconds)
        fields.add("runs", json: "[" + runs.joined(separator: ", ") + "]")
        fields.add("counting", RunTally.countingNote + " loop_thread_cpu: the runtime loop thread "
            + "(oaas-runtime) alone, from /proc/self/task; 1.0 = that thread never idle.")
        fields.add("exit_status", failed ? 1 : 0)
        if options.json {
            print(fields.text)
        } else {
            for line in runs { print(line) }
        }
        exit(failed ? 1 : 0)
    }
}
