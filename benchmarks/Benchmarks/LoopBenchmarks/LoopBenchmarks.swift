// Micro-benchmarks of the event loop's hot paths, each beside the reference a user would
// otherwise reach for (Dispatch), so the report reads as a ratio.
//
// Run: `make bench-loop` from the repository root.
import Benchmark
import Dispatch
import OaasLoop

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .cpuTotal],
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 200
    )

    // MARK: Cross-thread wake-ups: one job handed over, the caller waits for it to run.

    Benchmark("door: execute round trip (wake-up per job)") { benchmark in
        let loop = try! EventLoop.startOwned(name: "bench-door")
        let done = DispatchSemaphore(value: 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try! loop.execute { done.signal() }
            done.wait()
        }
        benchmark.stopMeasurement()
        precondition(loop.shutdown().isClean)
    }

    Benchmark("reference: DispatchQueue.async round trip") { benchmark, queue in
        let done = DispatchSemaphore(value: 0)
        for _ in benchmark.scaledIterations {
            queue.async { done.signal() }
            done.wait()
        }
    } setup: {
        DispatchQueue(label: "bench-dispatch")
    }

    // MARK: Bursts: many jobs handed over at once; one wake-up should drain them all.

    Benchmark("door: execute burst (1,000 jobs per wait)") { benchmark in
        let loop = try! EventLoop.startOwned(name: "bench-burst")
        let done = DispatchSemaphore(value: 0)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations where iteration % 1_000 == 999 {
            for _ in 0..<999 { try! loop.execute {} }
            try! loop.execute { done.signal() }
            done.wait()
        }
        benchmark.stopMeasurement()
        precondition(loop.shutdown().isClean)
    }

    Benchmark("reference: DispatchQueue.async burst (1,000 jobs per wait)") { benchmark, queue in
        let done = DispatchSemaphore(value: 0)
        for iteration in benchmark.scaledIterations where iteration % 1_000 == 999 {
            for _ in 0..<999 { queue.async {} }
            queue.async { done.signal() }
            done.wait()
        }
    } setup: {
        DispatchQueue(label: "bench-dispatch-burst")
    }

    // MARK: Timer churn, on an embedded loop driven by the benchmark thread itself.

    Benchmark("timers: schedule and fire (1,000 per loop turn)") { benchmark in
        let loop = try! EventLoop.makeEmbedded(name: "bench-timers")
        benchmark.startMeasurement()
        var fired = 0
        for iteration in benchmark.scaledIterations {
            loop.schedule(after: .zero) { fired += 1 }
            if iteration % 1_000 == 999 {
                while fired <= iteration { loop.runOnce() }
            }
        }
        benchmark.stopMeasurement()
        loop.stop()
        while loop.runOnce() {}
        precondition(loop.shutdownReport?.isClean == true)
    }

    Benchmark("timers: start and cancel (no firing)") { benchmark in
        let loop = try! EventLoop.makeEmbedded(name: "bench-timer-cancel")
        let timers = (0..<64).map { _ in LoopTimer(loop: loop) }
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            let timer = timers[iteration & 63]
            timer.start(after: .seconds(60)) {}
            timer.cancel()
        }
        benchmark.stopMeasurement()
        for timer in timers { timer.close() }
        loop.stop()
        while loop.runOnce() {}
        precondition(loop.shutdownReport?.isClean == true)
    }

    Benchmark("reference: DispatchSourceTimer schedule and cancel") { benchmark in
        let queue = DispatchQueue(label: "bench-dispatch-timer")
        for _ in benchmark.scaledIterations {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + 60)
            timer.setEventHandler {}
            timer.resume()
            timer.cancel()
        }
    }
}
