import Dispatch
import OaaS

#if canImport(Glibc)
import Glibc
#endif

/// `demo serve --port N`: hosts the demo services until SIGINT or SIGTERM, then drains.
/// Prints `LISTENING <port>` once bound, for scripts and tests.
enum ServeCommand {
    static func run(port: Int) throws {
        try registerDemoServices()
        try oaas.startServer(port: port)
        let bound = oaas.serverInfo.port!
        say("LISTENING \(bound)")
        say("serving \(oaas.registeredServices.joined(separator: ", ")) on port \(bound) (Ctrl-C to stop)")
        waitForStopSignal()
        say("stopping gracefully")
        try oaas.stopServer()
        say("stopped")
    }

    /// Blocks until SIGINT or SIGTERM; a second signal exits at once.
    private static func waitForStopSignal() {
        let stop = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "demo-signals")
        var received = 0
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                received += 1
                if received == 1 { stop.signal() } else { exit(130) }
            }
            source.resume()
            return source
        }
        stop.wait()
        withExtendedLifetime(sources) {}
    }
}
