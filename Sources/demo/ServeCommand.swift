import Foundation
import OaaS

#if canImport(Glibc)
import Glibc
#endif

/// `demo serve`: hosts the demo services until SIGINT or SIGTERM, then drains.
///
/// Options: `--port N` (default 8080; 0 picks a free port), `--store URL` (where objects live:
/// `memory`, `sqlite:PATH`, `nats-kv://host:port/BUCKET`; default `OPRC_STORE_URL`, else
/// `sqlite:./oaas-data/objects.db`), `--bus URL` (`embedded` or
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
        /// `--store URL`; else `OPRC_STORE_URL`; else the durable default.
        var storeURL: String?
        var agents: [String] = []
        var server = true
    }

    /// Where `demo serve` keeps objects unless told otherwise: a SQLite file under the
    /// working directory, so objects outlive the process.
    static let defaultStoreURL = "sqlite:./oaas-data/objects.db"

    /// The store `--store` names, else `OPRC_STORE_URL`, else ``defaultStoreURL``.
    static func storeURL(_ given: String?) -> String {
        given ?? ProcessInfo.processInfo.environment["OPRC_STORE_URL"] ?? defaultStoreURL
    }

    static let defaultNATSAgents = ["worker.BackgroundProcessor:123", "hybrid.HybridService:456", "math.Calculator:7"]

    /// - Parameter stopSignal: made by the caller before any thread starts (see
    ///   ``StopSignal``): a supervisor may send SIGTERM as soon as it reads READY, and that
    ///   must already mean a graceful stop.
    static func run(_ options: Options, stopSignal: StopSignal) async throws {
        let base = try OaasConfig(busURL: options.busURL)
        let storeURL = storeURL(options.storeURL)
        let store: any ObjectStore
        do {
            store = try oaas.openStore(storeURL, config: base)
        } catch {
            complain("demo serve: \(error.message)")
            exit(1)
        }
        var config = base
        config.store = store
        oaas.configure(config)
        say("objects in \((try? StoreURL.parse(storeURL))?.redacted ?? storeURL)")
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
        await store.close()
        if let writeBehind = store as? WriteBehindStore {
            // For the benchmarks: how the group commit grouped.
            let statistics = writeBehind.statistics
            say("STORE transactions=\(statistics.transactions) writes=\(statistics.writes) rows=\(statistics.rowsWritten) failed_transactions=\(statistics.failedTransactions) reads=\(statistics.reads)")
        }
        say("stopped")
    }
}

/// SIGINT and SIGTERM, caught from construction on: the first ends `wait()`, a second one
/// exits at once.
///
/// A process-wide handler writes to a pipe that `wait()` reads (the self-pipe pattern), so the
/// signal is caught whichever thread the kernel delivers it to: blocking it per thread cannot
/// cover threads the Swift runtime started before `main` ran. Nothing is lost between the
/// announcement of READY and the first wait. Construct it once, before announcing anything.
final class StopSignal: @unchecked Sendable {
    // @unchecked: the descriptors are written only by `init`.
    private var readEnd: Int32 = -1

    init() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("cannot make the signal pipe: errno \(errno)") }
        readEnd = ends[0]
        signalPipeWriteEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            // Only async-signal-safe calls here: one write(2).
            var byte: UInt8 = 1
            _ = Glibc.write(signalPipeWriteEnd, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
    }

    /// Blocks until the first signal, then leaves a thread waiting for a second one.
    func wait() {
        let readEnd = self.readEnd
        waitForByte(readEnd)
        Thread.detachNewThread {
            waitForByte(readEnd)
            exit(130)
        }
    }
}

/// The pipe's write end, for the signal handler (which cannot capture anything).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

private func waitForByte(_ descriptor: Int32) {
    var byte: UInt8 = 0
    while Glibc.read(descriptor, &byte, 1) < 0, errno == EINTR {}
}
