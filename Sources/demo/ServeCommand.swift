import Foundation
import OaaS

#if canImport(Glibc)
import Glibc
#endif

/// `demo serve`: hosts the demo services until SIGINT or SIGTERM, then drains.
///
/// Options: `--port N` (default 8080; 0 picks a free port), `--bus URL` (`embedded` or
/// `nats://...`; default `OPRC_BUS_URL`, else embedded), `--agent CLASS[:OBJECT]` (repeatable;
/// without an object, the agent serves every object of the class), `--no-server` (agents
/// only). With a NATS bus and no `--agent`, it starts the demo's agents:
/// `worker.BackgroundProcessor:123`, `hybrid.HybridService:456` and `math.Calculator:7`.
///
/// Prints, for scripts and tests: `AGENT <id>` per agent, `LISTENING <port>` once the server is
/// bound, then `READY`. An agent that cannot start is reported on standard error and the
/// process exits 1.
enum ServeCommand {
    struct Options {
        var port = 8080
        var busURL: String?
        var agents: [String] = []
        var server = true
    }

    static let defaultNATSAgents = ["worker.BackgroundProcessor:123", "hybrid.HybridService:456", "math.Calculator:7"]

    /// - Parameter stopSignal: made by the caller before any thread starts (see
    ///   ``StopSignal``): a supervisor may send SIGTERM as soon as it reads READY, and that
    ///   must already mean a graceful stop.
    static func run(_ options: Options, stopSignal: StopSignal) async throws {
        if let busURL = options.busURL {
            oaas.configure(try OaasConfig(busURL: busURL))
        }
        try registerDemoServices()
        if options.server, oaas.config.mockMode {
            complain("demo serve hosts a gRPC server, and in mock mode (MOCK_MODE) nothing listens; unset MOCK_MODE or pass --no-server")
            exit(2)
        }
        let agents = options.agents.isEmpty && !oaas.config.usesEmbeddedBus ? defaultNATSAgents : options.agents
        for spec in agents {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            do {
                let id = try await startDemoAgent(classID: parts[0], objectID: parts.count > 1 ? parts[1] : nil)
                say("AGENT \(id)")
            } catch {
                complain("demo serve: \(error)")
                await oaas.closeBus()
                exit(1)
            }
        }
        if options.server {
            try oaas.startServer(port: options.port)
            let bound = oaas.serverInfo.port ?? options.port
            say("LISTENING \(bound)")
        }
        say("READY")
        say("serving \(oaas.registeredServices.joined(separator: ", "))\(options.server ? " on port \(oaas.serverInfo.port ?? options.port)" : ""), agents on \(oaas.config.usesEmbeddedBus ? "the embedded bus" : "NATS") (Ctrl-C to stop)")
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                stopSignal.wait()
                done.resume()
            }
        }
        say("stopping gracefully")
        // Agents first: they drain their calls while the bus is still up.
        await oaas.closeBus()
        if options.server { try await oaas.stopServer() }
        say("stopped")
    }
}

/// SIGINT and SIGTERM, caught from construction on: the first ends `wait()`, a second one
/// exits at once.
///
/// The signals are blocked in the constructing thread, and so in every thread started after
/// it (the server's loop included), and taken with `sigwait`: nothing is lost between the
/// server announcing its port and the first wait. Construct it before starting threads.
final class StopSignal: @unchecked Sendable {
    // @unchecked: `signals` is written only by `init`.
    private var signals = sigset_t()

    init() {
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Blocks until the first signal, then leaves a thread waiting for a second one.
    func wait() {
        var pending = signals
        var number: Int32 = 0
        sigwait(&pending, &number)
        let second = signals
        Thread.detachNewThread {
            var pending = second
            var number: Int32 = 0
            sigwait(&pending, &number)
            exit(130)
        }
    }
}
