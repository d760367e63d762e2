import OaasLoop

/// Loops the benchmarks drive themselves. A loop is made inside the benchmark closure, so it
/// belongs to the thread that runs the measurement (setup hooks may run on another thread),
/// and shut down at the end of the iteration, which also proves nothing leaked.
/// The thread that made the loop.
enum EmbeddedLoops {
    static func make(_ name: String) -> EventLoop {
        try! EventLoop.makeEmbedded(name: name)
    }

    static func shutDown(_ loop: EventLoop) {
        loop.stop()
        while loop.runOnce() {}
        precondition(loop.shutdownReport?.isClean == true, "loop \(loop.name) leaked: \(String(describing: loop.shutdownReport))")
    }
}
