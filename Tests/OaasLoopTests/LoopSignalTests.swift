import Foundation
import OaasLoop
import OaasTesting
import Testing

@Suite("Signals", .serialized)
struct LoopSignalTests {
    @Test("SIGTERM and SIGINT arrive as loop events instead of ending the process", arguments: [SIGTERM, SIGINT])
    func signalIsDelivered(signal: Int32) async throws {
        try await withOwnedLoop { loop in
            let delivered: Int32 = try await onLoop(loop) { finish in
                var watcher: LoopSignal?
                watcher = try LoopSignal(loop: loop, signal: signal) { number in
                    #expect(loop.inLoop)
                    // Closing hands the signal back to its default action; only one is sent.
                    watcher?.close()
                    finish(number)
                }
                loop.schedule(after: .milliseconds(1)) { kill(getpid(), signal) }
            }
            #expect(delivered == signal)
        }
    }
}

@Suite("Signal misuse")
struct LoopSignalMisuseTests {
    @Test("watching a signal number that does not exist fails with a clear error", arguments: [0, -3, 4_096])
    func invalidSignalNumber(number: Int32) async throws {
        try await withOwnedLoop { loop in
            let error: LoopError? = try await loop.submit { () -> LoopError? in
                do throws(LoopError) {
                    let watcher = try LoopSignal(loop: loop, signal: number) { _ in }
                    watcher.close()
                    return nil
                } catch {
                    return error
                }
            }
            let failure = try #require(error)
            #expect(failure.code == .invalidArgument)
            #expect(failure.description.contains("watch signal \(number)"))
        }
    }
}
