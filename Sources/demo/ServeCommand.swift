import Foundation
import OaaS

#if canImport(Glibc)
import Glibc
#endif

/// `demo serve --port N`: hosts the demo services until SIGINT or SIGTERM, then drains.
/// Prints `LISTENING <port>` once bound, for scripts and tests.
enum ServeCommand {
    static func run(port: Int) throws {
        try registerDemoServices()
        // Signals are caught before the port is announced: a supervisor may send SIGTERM as
        // soon as it reads the LISTENING line, and that must already mean a graceful stop.
        let stopSignal = StopSignal()
        guard !oaas.config.mockMode else {
            say("demo serve hosts a gRPC server, and in mock mode (MOCK_MODE) nothing listens; unset MOCK_MODE")
            exit(2)
        }
        try oaas.startServer(port: port)
        let bound = oaas.serverInfo.port ?? port
        say("LISTENING \(bound)")
        say("serving \(oaas.registeredServices.joined(separator: ", ")) on port \(bound) (Ctrl-C to stop)")
        stopSignal.wait()
        say("stopping gracefully")
        try oaas.stopServer()
        say("stopped")
    }

}

/// SIGINT and SIGTERM, caught from construction on: the first ends `wait()`, a second one
/// exits at once.
///
/// The signals are blocked in the constructing thread, and so in every thread started after
/// it (the server's loop included), and taken with `sigwait`: nothing is lost between the
/// server announcing its port and the first wait. Construct it before starting threads.
final class StopSignal {
    private var signals = sigset_t()

    init() {
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Blocks until the first signal, then leaves a thread waiting for a second one.
    func wait() {
        var number: Int32 = 0
        sigwait(&signals, &number)
        let second = signals
        Thread.detachNewThread {
            var pending = second
            var number: Int32 = 0
            sigwait(&pending, &number)
            exit(130)
        }
    }
}
