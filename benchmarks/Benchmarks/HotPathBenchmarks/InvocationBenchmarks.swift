import Benchmark
@_spi(Benchmarks) import OaaS
import struct Foundation.Data

/// Whole calls with no I/O. The engine runs with the inline strategy (what the server uses on
/// the runtime's own loop) on the in-memory store, on an embedded loop owned by the benchmark
/// thread: the thread that calls is the loop's thread, as in the server, where calls start in
/// a read callback on the loop. An inline call finishes inside `invoke`, so the loop never
/// needs to turn. Each of the 64 objects is called once before the measurement, so every
/// measured `add` loads and commits an existing object.
func registerInvocationBenchmarks() {
    // The queue a busy object keeps: ten calls wait, then all run in order.
    Benchmark("object_queue_enqueue_dequeue_10_waiting") { benchmark in
        let queue = try! ObjectActivationBenchmarkHook(serving: BenchCalculator.self, functionID: "add",
                                                       objectID: "obj-1", payload: Fixtures.addPayload)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations where iteration % 10 == 9 {
            blackHole(queue.enqueueThenDequeue(10))
        }
    }

    for (function, payload) in [("add", Fixtures.addPayload), ("echo", Fixtures.echoPayload)] {
        Benchmark("engine_InvokeObj_\(function)_inline_in_memory_store") { benchmark in
            let loop = EmbeddedLoops.make("bench-engine")
            let engine = try! InvocationEngineBenchmarkHook(loop: loop, serving: BenchCalculator.self)
            for objectID in Fixtures.objectIDs {
                _ = engine.invoke(classID: Fixtures.classID, functionID: function, objectID: objectID, payload: payload)
            }
            benchmark.startMeasurement()
            for iteration in benchmark.scaledIterations {
                let response = engine.invoke(classID: Fixtures.classID, functionID: function,
                                             objectID: Fixtures.objectIDs[iteration & Fixtures.objectMask], payload: payload)
                blackHole(response)
            }
            benchmark.stopMeasurement()
            EmbeddedLoops.shutDown(loop)
        }

        // The server's work per call short of HTTP/2: read the framed request from its DATA
        // chunk, decode it, run it, encode and frame the response.
        Benchmark("server_InvokeObj_\(function)_without_HTTP2_and_sockets") { benchmark in
            let chunks = Fixtures.requests(function: function, payload: payload).map(Fixtures.grpcFramed)
            let loop = EmbeddedLoops.make("bench-server-path")
            let engine = try! InvocationEngineBenchmarkHook(loop: loop, serving: BenchCalculator.self)
            for chunk in chunks {
                _ = chunk.withUnsafeBytes { try! engine.serveInvokeObject(dataChunk: $0) }
            }
            benchmark.startMeasurement()
            for iteration in benchmark.scaledIterations {
                chunks[iteration & Fixtures.objectMask].withUnsafeBytes { chunk in
                    blackHole(try! engine.serveInvokeObject(dataChunk: chunk))
                }
            }
            benchmark.stopMeasurement()
            EmbeddedLoops.shutDown(loop)
        }
    }
}
