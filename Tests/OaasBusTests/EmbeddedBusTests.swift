import OaasBus
import OaasLoop
import OaasTesting
import Testing

@Suite("The embedded bus", .timeLimit(.minutes(1)))
struct EmbeddedBusTests {
    /// What a handful of requests came back with, in order.
    typealias Outcomes = [String]

    static func describe(_ result: Result<[UInt8], BusError>) -> String {
        switch result {
        case .success(let bytes): "reply " + String(decoding: bytes, as: UTF8.self)
        case .failure(let error): "\(error.kind)"
        }
    }

    @Test("servers of one key share its requests round-robin; a key nobody serves fails at once")
    func queueGroup() async throws {
        try await withOwnedLoop { loop in
            let outcomes: Outcomes = try await onLoop(loop) { finish in
                let bus = EmbeddedBus(loop: loop)
                var results: [String] = []
                for name in ["a", "b"] {
                    bus.serve(key: "oprc/x/0/invokes/f", handler: { request in request.reply(Array(name.utf8)) }, ready: { _ in })
                }
                for _ in 0..<4 {
                    bus.request(key: "oprc/x/0/invokes/f", payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                }
                bus.request(key: "oprc/x/0/invokes/g", payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                bus.close { finish(results) }
            }
            #expect(outcomes == ["reply a", "reply b", "reply a", "reply b", "noResponders"])
        }
    }

    @Test("a pattern serves every key it matches, and one request still reaches one server")
    func patterns() async throws {
        try await withOwnedLoop { loop in
            let outcomes: Outcomes = try await onLoop(loop) { finish in
                let bus = EmbeddedBus(loop: loop)
                var results: [String] = []
                var calls = 0
                let pattern = BusKey.objectPattern(classID: "p.C", partition: 0, function: "f")
                bus.serve(key: pattern, handler: { request in
                    calls += 1
                    request.reply(Array(request.key.utf8))
                }, ready: { _ in })
                for object in ["1", "two"] {
                    let key = BusKey.object(classID: "p.C", partition: 0, objectID: object, function: "f")
                    bus.request(key: key, payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                }
                let exact = BusKey.object(classID: "p.C", partition: 0, objectID: "1", function: "f")
                bus.serve(key: exact, handler: { request in
                    calls += 1
                    request.reply(Array("exact".utf8))
                }, ready: { _ in })
                for _ in 0..<4 {
                    bus.request(key: exact, payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                }
                results.append("calls \(calls)")
                bus.close { finish(results) }
            }
            #expect(outcomes.prefix(2) == ["reply oprc/p.C/0/objects/1/invokes/f", "reply oprc/p.C/0/objects/two/invokes/f"])
            // Both the pattern's server and the exact one take turns; each request runs once.
            #expect(outcomes.dropFirst(2).prefix(4).contains("reply exact"))
            #expect(outcomes.dropFirst(2).prefix(4).contains("reply oprc/p.C/0/objects/1/invokes/f"))
            #expect(outcomes.last == "calls 6")
        }
    }

    @Test("a late reply is bounded by the timeout and then dropped; close fails what still waits")
    func timeoutsAndClose() async throws {
        try await withOwnedLoop { loop in
            let outcomes: Outcomes = try await onLoop(loop) { finish in
                let bus = EmbeddedBus(loop: loop)
                var results: [String] = []
                var held: [BusRequest] = []
                bus.serve(key: "k/slow", handler: { held.append($0) }, ready: { _ in })
                bus.request(key: "k/slow", payload: [], timeout: .milliseconds(20)) { results.append(Self.describe($0)) }
                bus.request(key: "k/slow", payload: [], timeout: .seconds(30)) { results.append(Self.describe($0)) }
                loop.schedule(after: .milliseconds(60)) {
                    // The first request timed out; its reply now goes nowhere.
                    held[0].reply(Array("late".utf8))
                    bus.close {
                        // After close, every call fails with .closed.
                        bus.request(key: "k/slow", payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                        bus.serve(key: "k/other", handler: { _ in }, ready: { result in
                            if case .failure(let error) = result { results.append("serve \(error.kind)") }
                        })
                        finish(results)
                    }
                }
            }
            #expect(outcomes == ["\(BusError.Kind.timedOut(.milliseconds(20)))", "closed", "closed", "serve closed"])
        }
    }

    @Test("stopServing removes only that server")
    func stopServing() async throws {
        try await withOwnedLoop { loop in
            let outcomes: Outcomes = try await onLoop(loop) { finish in
                let bus = EmbeddedBus(loop: loop)
                var results: [String] = []
                var subscriptions: [BusSubscription] = []
                for name in ["a", "b"] {
                    bus.serve(key: "k", handler: { $0.reply(Array(name.utf8)) }, ready: { subscriptions.append(try! $0.get()) })
                }
                bus.stopServing(subscriptions[0]) {
                    for _ in 0..<2 {
                        bus.request(key: "k", payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                    }
                    bus.stopServing(subscriptions[1])
                    bus.stopServing(subscriptions[1])
                    bus.request(key: "k", payload: [], timeout: .seconds(1)) { results.append(Self.describe($0)) }
                    results.append("\(bus.servedKeys)")
                    bus.close { finish(results) }
                }
            }
            #expect(outcomes == ["reply b", "reply b", "noResponders", "[:]"])
        }
    }
}
