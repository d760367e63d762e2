import OaasLoop
import OaasTesting
import Testing

@Suite("Timers")
struct LoopTimerTests {
    @Test("10,000 timers with random deadlines fire in deadline order; cancelled ones never fire")
    func timersFireInDeadlineOrder() async throws {
        try await withOwnedLoop { loop in
            struct Outcome: Sendable {
                var firedDelays: [Int] = []
                var firedIndices: [Int] = []
                var cancelled: Set<Int> = []
                var firedOffThread = 0
            }
            let outcome: Outcome = try await onLoop(loop) { finish in
                var generator = SeededRandom(seed: 0x71AE5)
                let delays = (0..<10_000).map { _ in Int.random(in: 0...150, using: &generator) }
                let state = LoopBox(loop, Outcome())
                var timers: [LoopTimer] = []
                var remaining = 0
                for (index, delay) in delays.enumerated() {
                    let timer = loop.schedule(after: .milliseconds(delay)) {
                        if !loop.inLoop { state.value.firedOffThread += 1 }
                        state.value.firedDelays.append(delay)
                        state.value.firedIndices.append(index)
                        remaining -= 1
                        if remaining == 0 {
                            // Give any wrongly surviving cancelled timer time to show itself.
                            loop.schedule(after: .milliseconds(200)) { finish(state.value) }
                        }
                    }
                    timers.append(timer)
                }
                // Cancel every fourth timer before the loop gets a chance to run any of them.
                for index in stride(from: 0, to: timers.count, by: 4) {
                    timers[index].close()
                    state.value.cancelled.insert(index)
                }
                remaining = timers.count - state.value.cancelled.count
            }
            #expect(outcome.firedOffThread == 0)
            #expect(outcome.firedIndices.count == 7_500)
            #expect(Set(outcome.firedIndices).isDisjoint(with: outcome.cancelled))
            #expect(Set(outcome.firedIndices).count == 7_500, "a timer fired twice")
            // All were started in one loop turn, so deadline order is delay order.
            #expect(outcome.firedDelays == outcome.firedDelays.sorted())
        }
    }

    @Test("a repeating timer fires until cancelled, and can be restarted")
    func repeatingTimer() async throws {
        try await withOwnedLoop { loop in
            let counts: [Int] = try await onLoop(loop) { finish in
                let timer = LoopTimer(loop: loop)
                var fired = 0
                var counts: [Int] = []
                timer.start(after: .milliseconds(1), repeating: .milliseconds(2)) {
                    fired += 1
                    guard fired == 5 else { return }
                    timer.cancel()
                    counts.append(fired)
                    // Cancelled: nothing more may fire; then a one-shot restart fires once.
                    loop.schedule(after: .milliseconds(20)) {
                        counts.append(fired)
                        timer.start(after: .milliseconds(1)) {
                            fired += 1
                            counts.append(fired)
                            #expect(!timer.isScheduled)
                            timer.close()
                            finish(counts)
                        }
                    }
                }
            }
            #expect(counts == [5, 5, 6])
        }
    }

    @Test("sleep resumes after the delay, and a cancelled sleep ends at once without holding the loop")
    func sleepAndCancel() async throws {
        try await withOwnedLoop { loop in
            let clock = ContinuousClock()
            let start = clock.now
            try await loop.sleep(for: .milliseconds(30))
            #expect(clock.now - start >= .milliseconds(30))

            let sleeper = Task { try await loop.sleep(for: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(20))
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            // withOwnedLoop then checks that the 60 s timer did not survive the cancel.
        }
    }

    @Test("a sleep still pending when the loop shuts down fails instead of hanging")
    func sleepAcrossShutdown() async throws {
        let loop = try EventLoop.startOwned(name: "sleep-shutdown")
        let sleeper = Task { try await loop.sleep(for: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(50))
        loop.stop(gracePeriod: .milliseconds(50))
        await #expect {
            try await sleeper.value
        } throws: { error in
            (error as? LoopError)?.code == .loopShutDown
        }
        let report = await loop.terminated()
        loop.join()
        // The pending sleep's timer is the one handle shutdown had to close itself.
        #expect(report.forcedHandleCloses == 1)
        #expect(report.loopCloseStatus == 0)
    }
}
