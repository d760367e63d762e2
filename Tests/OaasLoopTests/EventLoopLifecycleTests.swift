import Foundation
import OaasLoop
import OaasTesting
import Synchronization
import Testing

@Suite("Loop modes and lifecycle")
struct EventLoopLifecycleTests {
    @Test("an embedded loop runs on the caller's thread with runOnce and shuts down cleanly")
    func embeddedLoopDrivenByRunOnce() throws {
        let loop = try EventLoop.makeEmbedded(name: "embedded-runonce")
        #expect(loop.mode == .embedded)
        #expect(loop.inLoop)
        var fired = false
        loop.schedule(after: .milliseconds(5)) { fired = true }
        var turns = 0
        while !fired, turns < 1_000 {
            loop.runOnce()
            turns += 1
        }
        #expect(fired)
        loop.stop()
        while loop.runOnce() {}
        #expect(loop.shutdownReport?.isClean == true)
        #expect(!loop.runOnce(), "a finished loop does nothing")
    }

    @Test("an embedded loop run by a caller-owned thread takes work from others and stops when asked")
    func embeddedLoopOnCallerThread() async throws {
        let ready = DispatchSemaphore(value: 0)
        let holder = Mutex<EventLoop?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let reportBox = Mutex<ShutdownReport?>(nil)
        Thread {
            let loop = try! EventLoop.makeEmbedded(name: "embedded-thread")
            holder.withLock { $0 = loop }
            ready.signal()
            let report = loop.run()
            reportBox.withLock { $0 = report }
            finished.signal()
        }.start()
        ready.wait()
        let loop = try #require(holder.withLock { $0 })
        #expect(!loop.inLoop)
        let ranOnLoop = try await loop.submit { loop.inLoop }
        #expect(ranOnLoop)
        loop.stop()
        let report = await loop.terminated()
        finished.wait()
        #expect(report.isClean)
        #expect(reportBox.withLock { $0 } == report)
    }

    @Test("an owned loop starts, serves, and stops cleanly from another thread")
    func ownedLoopStopsFromAnotherThread() async throws {
        let loop = try EventLoop.startOwned(name: "owned-stop")
        #expect(loop.mode == .owned)
        #expect(!loop.inLoop)
        let answer = try await loop.submit { loop.inLoop ? 42 : 0 }
        #expect(answer == 42)
        let reportBox = Mutex<ShutdownReport?>(nil)
        let stopper = Thread { reportBox.withLock { $0 = loop.shutdown(gracePeriod: .seconds(1)) } }
        stopper.start()
        let report = await loop.terminated()
        while reportBox.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
        #expect(report.isClean)
        #expect(reportBox.withLock { $0 } == report)
        #expect(loop.join() == report, "join after join returns the same report")
    }

    @Test("shutdown hooks run on the loop thread so owners can close their handles")
    func shutdownHooksCloseHandles() async throws {
        let loop = try EventLoop.startOwned(name: "hooks")
        let hookRan = Atomic<Bool>(false)
        try await loop.submit {
            let timer = LoopTimer(loop: loop)
            timer.start(after: .seconds(60)) {}
            loop.onShutdown {
                hookRan.store(loop.inLoop, ordering: .relaxed)
                timer.close()
            }
        }
        let report = loop.shutdown(gracePeriod: .seconds(5))
        let hookRanOnLoop = hookRan.load(ordering: .relaxed)
        #expect(hookRanOnLoop)
        #expect(report.isClean, "the hook closed the timer, so nothing was forced")
    }

    @Test("a removed shutdown hook does not run; the others do")
    func removedShutdownHook() async throws {
        let loop = try EventLoop.startOwned(name: "hook-removal")
        let ran = Mutex<[String]>([])
        try await loop.submit {
            let removed = loop.onShutdown { ran.withLock { $0.append("removed") } }
            loop.onShutdown { ran.withLock { $0.append("kept") } }
            loop.removeShutdownHook(removed)
        }
        _ = loop.shutdown(gracePeriod: .seconds(1))
        #expect(ran.withLock { $0 } == ["kept"])
    }

    @Test("finish observers hear that the loop has finished, on its thread, unless removed first")
    func finishObservers() async throws {
        final class Observer: LoopFinishObserver, @unchecked Sendable {
            // @unchecked: `heard` is written on the loop thread, read after the loop is joined.
            let loop: EventLoop
            var heard: [String] = []
            init(loop: EventLoop) { self.loop = loop }
            func loopDidFinish() { heard.append("finished, on its thread: \(loop.inLoop), report out: \(loop.shutdownReport != nil)") }
        }
        let loop = try EventLoop.startOwned(name: "finish-observers")
        let kept = Observer(loop: loop)
        let removed = Observer(loop: loop)
        try await loop.submit {
            loop.addFinishObserver(kept)
            loop.addFinishObserver(removed)
            loop.removeFinishObserver(removed)
        }
        #expect(kept.heard.isEmpty, "nothing before the loop ends")
        _ = loop.shutdown(gracePeriod: .seconds(1))
        #expect(kept.heard == ["finished, on its thread: true, report out: false"])
        #expect(removed.heard.isEmpty)
    }

    @Test("a handle nobody closes is closed by force after the grace period and reported")
    func leakedHandleIsReported() async throws {
        let loop = try EventLoop.startOwned(name: "leak")
        try await loop.submit {
            let timer = LoopTimer(loop: loop)
            timer.start(after: .seconds(60)) {}
        }
        let clock = ContinuousClock()
        let start = clock.now
        let report = loop.shutdown(gracePeriod: .milliseconds(100))
        #expect(clock.now - start >= .milliseconds(100))
        #expect(report.forcedHandleCloses == 1)
        #expect(report.loopCloseStatus == 0)
        #expect(!report.isClean)
    }
}

@Suite("Background handles")
struct BackgroundHandleTests {
    @Test("a handle that does not keep the loop alive is closed at the end without counting as a leak")
    func backgroundHandleClosedAtEnd() async throws {
        let loop = try EventLoop.startOwned(name: "background")
        try await loop.submit {
            let watcher = try LoopSignal(loop: loop, signal: SIGUSR2) { _ in }
            #expect(!watcher.keepsLoopAlive)
        }
        let report = loop.shutdown(gracePeriod: .seconds(5))
        #expect(report.backgroundHandleCloses == 1)
        #expect(report.isClean)
    }

    @Test("an idle timer left open is a leak even though it blocks nothing")
    func idleTimerIsALeak() async throws {
        let loop = try EventLoop.startOwned(name: "idle-leak")
        try await loop.submit { _ = LoopTimer(loop: loop) }
        let report = loop.shutdown(gracePeriod: .seconds(5))
        #expect(report.forcedHandleCloses == 1)
        #expect(report.backgroundHandleCloses == 0)
        #expect(!report.isClean)
    }
}
