import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM start a graceful shutdown; a second one exits at once (status 130), as
/// oaas-grpc-echo does, so a harness is never stuck behind a connection that will not close.
enum ShutdownSignals {
    private static let received = Atomic<Int>(0)

    /// Installs the handlers; keep the returned sources alive for as long as they should work.
    /// Dispatch delivers the signals on a thread of its own, which sleeps until one arrives.
    static func install(onFirst: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            // Ignored first, so the default action (exit at once) never runs.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.add(1, ordering: .relaxed).newValue == 1 {
                    onFirst()
                } else {
                    exit(130)
                }
            }
            source.resume()
            return source
        }
    }
}
