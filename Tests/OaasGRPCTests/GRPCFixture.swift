import OaasGRPC
import OaasLoop
import OaasTesting

/// A server with test methods and a client to it, on one loop. Its members are touched only
/// on the loop thread (each entry point hops there), which is why it may be shared.
final class GRPCFixture: @unchecked Sendable {
    let loop: EventLoop
    private var server: GRPCServer!
    private var client: GRPCClient!
    /// What the hanging handler's onCancel heard, in order.
    private var cancellations: [GRPCStatus] = []
    /// How many calls the delaying handler has received.
    private var delayedCallsReceived = 0

    static let echo = "/test.Echo/Echo"
    static let hang = "/test.Echo/Hang"
    static let delay = "/test.Echo/Delay"
    static let fail = "/test.Echo/Fail"
    static let stream = "/test.Echo/Stream"
    static let metadata = "/test.Echo/Metadata"

    private init(loop: EventLoop) { self.loop = loop }

    static func start(loop: EventLoop, configuration: GRPCServerConfiguration = GRPCServerConfiguration()) async throws -> GRPCFixture {
        let fixture = GRPCFixture(loop: loop)
        try await loop.submit { try fixture.setUp(configuration) }
        return fixture
    }

    private func setUp(_ configuration: GRPCServerConfiguration) throws {
        let server = GRPCServer(loop: loop, configuration: configuration)
        server.register(Self.echo, .unary { call, message in call.respond(message) })
        server.register(Self.hang, .unary { [unowned self] call, _ in
            call.onCancel = { [unowned self] status in cancellations.append(status) }
        })
        server.register(Self.delay, .unary { [loop, unowned self] call, message in
            delayedCallsReceived += 1
            let milliseconds = Int(String(decoding: message, as: UTF8.self)) ?? 0
            let timer = loop.schedule(after: .milliseconds(milliseconds)) { call.respond(message) }
            call.onCancel = { _ in timer.close() }
        })
        server.register(Self.fail, .unary { call, _ in
            call.fail(GRPCStatus(.failedPrecondition, "nope: 100% ünïcode\nnewline"))
        })
        server.register(Self.stream, .streaming { call in
            var received = 0
            call.onMessage = { message in
                received += 1
                call.send(message)
            }
            call.onRequestEnd = { call.finish(GRPCStatus(.ok, "saw \(received)")) }
        })
        server.register(Self.metadata, .unary { call, _ in
            let text = call.metadata.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
            call.respond(Array(text.utf8))
        })
        server.enableHealthService()
        server.enableReflection()
        try server.start()
        self.server = server
        client = try GRPCClient(loop: loop, host: "127.0.0.1", port: server.port)
    }

    var port: Int {
        get async throws { try await loop.submit { self.server.port } }
    }

    func call(_ path: String, _ request: [UInt8], timeout: Duration? = nil,
              metadata: [(String, String)] = []) async throws -> GRPCClientResponse {
        try await onLoop(loop) { finish in
            self.client.unary(path, request: request, metadata: metadata, timeout: timeout) { finish($0) }
        }
    }

    /// Starts `count` calls at once on the one client and returns their responses.
    func calls(_ count: Int, _ path: String, _ request: [UInt8]) async throws -> [GRPCClientResponse] {
        try await onLoop(loop) { finish in
            var responses: [GRPCClientResponse] = []
            for _ in 0..<count {
                self.client.unary(path, request: request) { response in
                    responses.append(response)
                    if responses.count == count { finish(responses) }
                }
            }
        }
    }

    var stats: GRPCServerStats {
        get async throws { try await loop.submit { self.server.stats } }
    }

    var connectionCount: Int {
        get async throws { try await loop.submit { self.server.connectionCount } }
    }

    /// Whether the delaying handler received `count` calls within 10 s.
    func receivedDelayedCalls(_ count: Int) async throws -> Bool {
        try await eventually { try await self.loop.submit({ self.delayedCallsReceived }) >= count }
    }

    var cancellationsSeen: [GRPCStatus] {
        get async throws { try await loop.submit { self.cancellations } }
    }

    func healthStatus(_ service: String) async throws -> GRPCHealthStatus.ServingStatus? {
        try await loop.submit { self.server.health.status(of: service) }
    }

    /// Starts the graceful shutdown and returns at once.
    func beginShutdown(onStopped: @escaping @Sendable () -> Void = {}) async throws {
        try await loop.submit { self.server.shutdown(completion: onStopped) }
    }

    /// Closes the client and drains the server; returns when both are done.
    func stop() async throws {
        let _: Bool = try await onLoop(loop) { finish in
            self.client.close {
                self.server.shutdown { finish(true) }
            }
        }
    }
}
