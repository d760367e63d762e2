import Foundation
import OaaS
import OaasLoop

/// An error with a fixed text, thrown by test methods.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}

/// A service written by hand, without the macros: the plain registration API.
final class Counter: OaasObject, OaasService {
    var count = 0
    var label = ""

    static var serviceDefinition: ServiceDefinition<Counter> {
        // One statement per method: a long chain of overloaded `method` calls type-checks slowly.
        var definition = ServiceDefinition<Counter>("Counter", package: "test")
        definition = definition.method("add") { (counter: Counter, value: Int) -> Int in
            counter.count += value
            return counter.count
        }
        definition = definition.method("get") { (counter: Counter) -> Int in counter.count }
        definition = definition.method("whoami") { (counter: Counter) -> String in counter.identity?.description ?? "unbound" }
        definition = definition.method("rename") { (counter: Counter, label: String) -> Void in counter.label = label }
        definition = definition.method("label") { (counter: Counter) -> String in counter.label }
        definition = definition.method("addThenFail") { (counter: Counter, value: Int) throws -> Int in
            counter.count += value
            throw TestFailure("boom")
        }
        definition = definition.method("failWithoutArgument") { (counter: Counter) throws -> Void in
            counter.count += 1
            throw TestFailure("bad thing")
        }
        definition = definition.method("slowAdd") { (counter: Counter, value: Int) async throws -> Int in
            let before = counter.count
            try await Task.sleep(for: .milliseconds(2))
            counter.count = before + value
            return counter.count
        }
        definition = definition.method("yieldingAdd") { (counter: Counter, value: Int) async -> Int in
            let before = counter.count
            await Task.yield()
            counter.count = before + value
            return counter.count
        }
        definition = definition.method("countedNap") { (counter: Counter, milliseconds: Int) async -> Int in
            // Like `nap`, counting how many run at once (see OverlapGauge).
            OverlapGauge.naps.enter()
            let deadline = ContinuousClock.now + .milliseconds(milliseconds)
            while ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
            OverlapGauge.naps.leave()
            counter.count += 1
            return counter.count
        }
        definition = definition.method("nap") { (counter: Counter, milliseconds: Int) async -> Int in
            // Sleeps through cancellation on purpose: a method that ignores it.
            let deadline = ContinuousClock.now + .milliseconds(milliseconds)
            while ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
            counter.count += 1
            return counter.count
        }
        definition = definition.method("offLoopWait") { (counter: Counter, milliseconds: Int) async -> Int in
            // Suspends on a Dispatch timer, off the loop, and ignores cancellation: like a slow
            // remote call. The loop has nothing of its own to wait for meanwhile.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { continuation.resume() }
            }
            counter.count += 1
            return counter.count
        }
        definition = definition.method("append") { (counter: Counter, text: String) async throws -> String in
            let before = counter.label
            try await Task.sleep(for: .milliseconds(1))
            counter.label = before + text
            return counter.label
        }
        definition = definition.method("greet", stateless: true) { (counter: Counter, name: String) -> String in "hello \(name)" }
        definition = definition.method("scale", parameters: ["by", "offset"], parameterTypes: "(Int, Int)") {
            (counter: Counter, arguments: PayloadArguments) throws -> Int in
            counter.count = counter.count * (try arguments.decode(Int.self, at: 0)) + (try arguments.decode(Int.self, at: 1))
            return counter.count
        }
        return definition
    }

    static var persistedFields: [String] { ["count", "label"] }

    func saveState(into state: inout StateWriter) throws(PayloadError) {
        try state.write(count, field: 0)
        try state.write(label, field: 1)
    }

    func loadState(from state: StateReader) throws(PayloadError) {
        if let value = try state.read(Int.self, field: 0) { count = value }
        if let value = try state.read(String.self, field: 1) { label = value }
    }
}

extension Data {
    /// The bytes as UTF-8 text, for readable expectations.
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// How many calls of a method run at the same moment, and the most seen at once.
final class OverlapGauge: Sendable {
    static let naps = OverlapGauge()
    private let counts = LockedValue((running: 0, peak: 0))

    func enter() {
        counts.withLock { counts in
            counts.running += 1
            counts.peak = max(counts.peak, counts.running)
        }
    }

    func leave() {
        counts.withLock { $0.running -= 1 }
    }

    /// The most seen at once since the last reset.
    var peakSeen: Int { counts.withLock { $0.peak } }

    func reset() {
        counts.withLock { $0.peak = $0.running }
    }
}
