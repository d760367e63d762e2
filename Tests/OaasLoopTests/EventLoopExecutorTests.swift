import OaasLoop
import OaasTesting
import Testing

/// An actor whose code runs on a loop thread.
private actor LoopBoundCounter {
    let loop: EventLoop
    var count = 0
    init(loop: EventLoop) { self.loop = loop }
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    func increment() -> Bool {
        count += 1
        return loop.inLoop
    }

    func sleepThenCheck() async throws -> Bool {
        try await loop.sleep(for: .milliseconds(2))
        return loop.inLoop
    }
}

@Suite("The loop as a Swift executor")
struct EventLoopExecutorTests {
    @Test("a task preferring the loop resumes on the loop thread after awaiting timers and other tasks")
    func taskPreferenceStaysOnLoop() async throws {
        try await withOwnedLoop { loop in
            let checks: [Bool] = try await Task(executorPreference: loop) {
                var checks = [loop.inLoop]
                try await loop.sleep(for: .milliseconds(5))
                checks.append(loop.inLoop)
                let elsewhere = await Task.detached { loop.inLoop }.value
                checks.append(!elsewhere)  // the detached task ran off the loop...
                checks.append(loop.inLoop) // ...and we came back to it
                try await Task.sleep(for: .milliseconds(5))
                checks.append(loop.inLoop)
                let fromChildren = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<16 { group.addTask { loop.inLoop } }
                    return await group.reduce(true) { $0 && $1 }
                }
                checks.append(fromChildren)  // child tasks inherit the preference
                checks.append(loop.inLoop)
                return checks
            }.value
            #expect(checks == Array(repeating: true, count: checks.count))
            #expect(checks.count == 7)
        }
    }

    @Test("an actor isolated to the loop runs every call on the loop thread")
    func actorOnLoop() async throws {
        try await withOwnedLoop { loop in
            let counter = LoopBoundCounter(loop: loop)
            var allOnLoop = true
            for _ in 0..<1_000 { allOnLoop = await counter.increment() && allOnLoop }
            #expect(allOnLoop)
            #expect(await counter.count == 1_000)
            let resumedOnLoop = try await counter.sleepThenCheck()
            #expect(resumedOnLoop)
        }
    }

    @Test("blocking work runs on the thread pool and completes on the loop thread")
    func blockingWork() async throws {
        struct Boom: Error {}
        try await withOwnedLoop { loop in
            let values = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<64 {
                    group.addTask {
                        try await loop.runBlocking { (index * 2, loop.inLoop) }
                    }
                }
                return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
            }
            #expect(values.count == 64)
            #expect(values.allSatisfy { !$0.1 }, "work ran on the loop thread instead of the pool")
            #expect(Set(values.map(\.0)) == Set((0..<64).map { $0 * 2 }))
            await #expect(throws: Boom.self) { try await loop.runBlocking { throw Boom() } }

            let completedOnLoop: Bool = try await onLoop(loop) { finish in
                loop.runBlocking({ 7 }) { result in
                    finish(loop.inLoop && (try? result.get()) == 7)
                }
            }
            #expect(completedOnLoop)
        }
    }
}
