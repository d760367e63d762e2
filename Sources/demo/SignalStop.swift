import OaasLoop

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM: the first stops gracefully, a second one stops at once. Loop thread only.
enum SignalStop {
    static func install(loop: EventLoop, server: TCPListener) {
        var received = 0
        for number in [SIGINT, SIGTERM] {
            // The watchers do not keep the loop alive; they stay open through the drain (to
            // catch a second signal) and the loop closes them at the very end of shutdown.
            _ = try? LoopSignal(loop: loop, signal: number) { _ in
                received += 1
                if received == 1 {
                    say("\nstopping gracefully (signal again to stop now)")
                    server.close()
                    loop.stop(gracePeriod: .seconds(5))
                } else {
                    say("stopping now")
                    exit(130)
                }
            }
        }
    }
}
