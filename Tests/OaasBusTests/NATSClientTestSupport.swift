import Foundation
@testable import OaasBus
import OaasLoop
import OaasTesting
import Testing

/// A ``NATSClient`` living on a test's loop, with async wrappers for its calls. Any thread:
/// every wrapper hops onto the loop.
struct TestClient: Sendable {
    let loop: EventLoop
    let box: LoopBox<NATSClient>

    /// Makes a client (not connected).
    static func make(_ loop: EventLoop, servers: String,
                     configure: (inout NATSClientConfiguration) -> Void = { _ in }) throws -> TestClient {
        var configuration = NATSClientConfiguration(servers: servers)
        configuration.reconnectBaseDelay = .milliseconds(20)
        configuration.reconnectMaxDelay = .milliseconds(250)
        configure(&configuration)
        let client = try NATSClient(loop: loop, configuration: configuration)
        return TestClient(loop: loop, box: LoopBox(loop, client))
    }

    /// Makes a client and connects it; fails the test if it cannot connect.
    static func connected(_ loop: EventLoop, servers: String,
                          configure: (inout NATSClientConfiguration) -> Void = { _ in }) async throws -> TestClient {
        let client = try make(loop, servers: servers, configure: configure)
        try await client.connect().get()
        return client
    }

    func connect() async throws -> Result<Void, BusError> {
        try await onLoop(loop) { finish in box.value.connect { finish($0) } }
    }

    /// Serves `key`; `answer` makes the reply (nil: never reply). `seen` counts requests.
    func serve(_ key: String, seen: LoopBox<Int>? = nil,
               answer: @escaping @Sendable (BusRequest) -> [UInt8]? = { $0.payload }) async throws -> Result<BusSubscription, BusError> {
        try await onLoop(loop) { finish in
            box.value.serve(key: key, handler: { request in
                seen?.value += 1
                if let reply = answer(request) { request.reply(reply) }
            }, ready: { finish($0) })
        }
    }

    func request(_ key: String, _ payload: [UInt8] = Array("ping".utf8),
                 timeout: Duration = .seconds(2)) async throws -> Result<[UInt8], BusError> {
        try await onLoop(loop) { finish in
            box.value.request(key: key, payload: payload, timeout: timeout) { finish($0) }
        }
    }

    func stopServing(_ subscription: BusSubscription) async throws {
        try await onLoop(loop) { finish in box.value.stopServing(subscription) { finish(()) } }
    }

    func flush() async throws -> Result<Void, BusError> {
        try await onLoop(loop) { finish in box.value.flush { finish($0) } }
    }

    func close() async throws {
        try await onLoop(loop) { finish in box.value.close { finish(()) } }
    }

    func state() async throws -> NATSClientState {
        try await onLoop(loop) { finish in finish(box.value.state) }
    }

    func statistics() async throws -> NATSClientStatistics {
        try await onLoop(loop) { finish in finish(box.value.statistics) }
    }

    func connectedServer() async throws -> NATSConnectedServer? {
        try await onLoop(loop) { finish in finish(box.value.connectedServer) }
    }

    func knownServers() async throws -> [String] {
        try await onLoop(loop) { finish in finish(box.value.knownServers) }
    }

    func inboxPrefix() async throws -> String {
        try await onLoop(loop) { finish in finish(box.value.inboxPrefix) }
    }

    /// Publishes raw bytes to any subject, bypassing the Bus API (for hostile replies).
    func publishRaw(subject: String, payload: [UInt8]) async throws {
        try await onLoop(loop) { finish in
            _ = box.value.publish(subject: subject, replyTo: nil, payload: payload, token: nil)
            finish(())
        }
    }

    /// Waits until `condition` holds for the client's state, polling; false on timeout.
    func waitForState(within limit: Duration = .seconds(10), _ condition: @escaping @Sendable (NATSClientState) -> Bool) async throws -> Bool {
        try await eventually(within: limit) { try await condition(state()) }
    }
}

/// Runs `body` and returns how long it took.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, clock.now - start)
}

extension Result {
    /// The failure, if any, for `#expect(result.failure == ...)`.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Bytes of a string, shorter to write in tests.
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Header fields from name-value pairs (names may repeat), shorter to write in tests.
func fields(_ pairs: KeyValuePairs<String, String>) -> [NATSHeader] {
    pairs.map { NATSHeader(name: $0.key, value: $0.value) }
}
