import Benchmark
@_spi(Benchmarks) import OaaS
import OaasGRPC
import OaasLoop

/// The whole server in one process: the runtime's `InvokeObj` route on a `GRPCServer`, with
/// the inline engine on the in-memory store, all on an embedded loop the benchmark thread
/// turns, and a ``LoopbackGRPCClient`` on the same thread that allocates nothing while it is
/// measured. So the malloc count per call is the server's: nghttp2, the gRPC call, the route,
/// the engine, the response. Its time also holds the client's share (copying frame templates,
/// the socket calls) and loopback I/O, which makes it noisier than the other benchmarks'.
///
/// Calls go in batches of 50 on one connection (the server allows 100 streams), each batch
/// written at once and answered in about one loop turn, like a client with 50 calls in flight.
func registerLoopbackServerBenchmark() {
    let inFlight = 50
    for (function, payload) in [("add", Fixtures.addPayload), ("echo", Fixtures.echoPayload)] {
        Benchmark("server_InvokeObj_\(function)_whole_server_over_loopback",
                  configuration: .init(thresholds: HotPathThresholds.overLoopback)) { benchmark in
            let bodies = Fixtures.requests(function: function, payload: payload).map(Fixtures.grpcFramed)
            let loop = EmbeddedLoops.make("bench-loopback")
            let engine = try! InvocationEngineBenchmarkHook(loop: loop, serving: BenchCalculator.self)
            let server = GRPCServer(loop: loop)
            engine.registerRoutes(on: server)
            try! server.start()
            let client = LoopbackGRPCClient(port: server.port)

            // Handshake, then one call per object so that every measured call finds its object.
            client.flush()
            while client.drain() == 0 { loop.runOnce(waitForEvents: false) }
            client.acknowledgeSettings()
            // Calls sent so far, each of which must come back OK; the server's own counter says
            // when they have, so the client need not parse a byte.
            var callsSent = 0
            func call(_ count: Int) {
                var sent = 0
                while sent < count {
                    let batch = min(inFlight, count - sent)
                    for offset in 0..<batch { client.queueCall(body: bodies[(sent + offset) & Fixtures.objectMask]) }
                    sent += batch
                    callsSent += batch
                    while !client.flush() || server.stats.count(of: .ok) < callsSent {
                        loop.runOnce(waitForEvents: false)
                        client.drain()
                    }
                }
            }
            call(Fixtures.objectCount)

            benchmark.startMeasurement()
            call(benchmark.scaledIterations.count)
            benchmark.stopMeasurement()

            precondition(server.stats.callsStarted == callsSent, "calls went unanswered or failed: \(server.stats)")
            client.close()
            var stopped = false
            server.shutdown { stopped = true }
            while !stopped { loop.runOnce(waitForEvents: false) }
            EmbeddedLoops.shutDown(loop)
        }
    }
}
