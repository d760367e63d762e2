import Foundation
import OaasLoop
import OaasTesting
import Synchronization
import Testing

@Suite("The cross-thread door")
struct EventLoopDoorTests {
    @Test("execute from 8 threads x 10,000 calls: each runs once, on the loop thread, in per-thread order")
    func executeFromManyThreads() async throws {
        try await withOwnedLoop { loop in
            let threads = 8
            let callsPerThread = 10_000
            let seen = LoopBox(loop, [[Int]](repeating: [], count: threads))
            let offLoop = Atomic<Int>(0)
            let refused = Atomic<Int>(0)
            let done = DispatchGroup()
            for producer in 0..<threads {
                done.enter()
                Thread {
                    for call in 0..<callsPerThread {
                        do {
                            try loop.execute {
                                if !loop.inLoop { offLoop.add(1, ordering: .relaxed) }
                                seen.value[producer].append(call)
                            }
                        } catch {
                            refused.add(1, ordering: .relaxed)
                        }
                    }
                    done.leave()
                }.start()
            }
            await withCheckedContinuation { continuation in
                done.notify(queue: .global()) { continuation.resume() }
            }
            // The door is FIFO, so a job queued now runs after every job above.
            let perThread = try await loop.submit { seen.value }
            #expect(refused.load(ordering: .relaxed) == 0)
            #expect(offLoop.load(ordering: .relaxed) == 0)
            for producer in 0..<threads {
                #expect(perThread[producer] == Array(0..<callsPerThread), "thread \(producer) out of order or incomplete")
            }
        }
    }

    @Test("execute while the loop is stopping either runs exactly once or is refused, never lost")
    func executeDuringStop() async throws {
        for round in 0..<5 {
            let loop = try EventLoop.startOwned(name: "stopping-\(round)")
            let accepted = Atomic<Int>(0)
            let refused = Atomic<Int>(0)
            let ran = Atomic<Int>(0)
            let wrongError = Atomic<Int>(0)
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                Thread {
                    for _ in 0..<5_000 {
                        do throws(LoopError) {
                            try loop.execute { ran.add(1, ordering: .relaxed) }
                            accepted.add(1, ordering: .relaxed)
                        } catch {
                            if error.code != .loopShutDown { wrongError.add(1, ordering: .relaxed) }
                            refused.add(1, ordering: .relaxed)
                        }
                    }
                    done.leave()
                }.start()
            }
            try await Task.sleep(for: .microseconds(200 * (round + 1)))
            loop.stop()
            await withCheckedContinuation { continuation in
                done.notify(queue: .global()) { continuation.resume() }
            }
            let report = await loop.terminated()
            loop.join()
            #expect(report.isClean)
            #expect(wrongError.load(ordering: .relaxed) == 0)
            #expect(accepted.load(ordering: .relaxed) + refused.load(ordering: .relaxed) == 20_000)
            #expect(ran.load(ordering: .relaxed) == accepted.load(ordering: .relaxed), "accepted work was dropped")
        }
    }

    @Test("after shutdown, execute and submit fail with a clear error")
    func executeAfterShutdown() async throws {
        let loop = try EventLoop.startOwned(name: "after-shutdown")
        let report = loop.shutdown()
        #expect(report.isClean)
        let error = #expect(throws: LoopError.self) { try loop.execute {} }
        #expect(error?.code == .loopShutDown)
        #expect(error?.description.contains("shutting down") == true)
        await #expect(throws: LoopError.self) { try await loop.submit { 1 } }
        // Stopping again is harmless.
        loop.stop()
        #expect(loop.shutdownReport == report)
    }

    @Test("submit returns the body's value or rethrows its error")
    func submitResults() async throws {
        struct Boom: Error {}
        try await withOwnedLoop { loop in
            let onLoopThread = try await loop.submit { loop.inLoop }
            #expect(onLoopThread)
            await #expect(throws: Boom.self) { try await loop.submit { throw Boom() } }
        }
    }
}
