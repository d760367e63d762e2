import OaasGRPC
import OaasLoop
import OaasTesting
import Testing

@Suite("gRPC server and client on the loop")
struct GRPCServerTests {
    @Test("a unary call echoes its message, with status OK in the trailers")
    func unaryEcho() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let response = try await fixture.call(GRPCFixture.echo, Array("hello".utf8))
            #expect(response.status == .ok)
            #expect(response.message == Array("hello".utf8))
            let empty = try await fixture.call(GRPCFixture.echo, [])
            #expect(empty.status == .ok)
            #expect(empty.message == [])
            try await fixture.stop()
            #expect(try await fixture.stats.count(of: .ok) == 2)
        }
    }

    @Test("a 3 MiB message streams through flow control both ways, byte for byte")
    func largeMessage() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let pattern = BytePattern()
            let payload = pattern.bytes(from: 17, count: 3 << 20)
            let response = try await fixture.call(GRPCFixture.echo, payload, timeout: .seconds(20))
            #expect(response.status == .ok)
            #expect(response.message?.count == payload.count)
            #expect(response.message == payload)
            try await fixture.stop()
        }
    }

    @Test("1,000 concurrent calls share one connection and all succeed")
    func multiplexing() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let responses = try await fixture.calls(1_000, GRPCFixture.echo, Array("x".utf8))
            #expect(responses.count == 1_000)
            #expect(responses.allSatisfy { $0.status == .ok && $0.message == Array("x".utf8) })
            #expect(try await fixture.connectionCount == 1)
            try await fixture.stop()
            let stats = try await fixture.stats
            #expect(stats.count(of: .ok) == 1_000)
            #expect(stats.connectionsAccepted == 1)
        }
    }

    @Test("request metadata reaches the handler in order; reserved and pseudo headers do not")
    func metadataReachesHandler() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let long = String(repeating: "v", count: 5_000)
            let response = try await fixture.call(GRPCFixture.metadata, [],
                                                  metadata: [("x-first", "1"), ("x-long", long), ("x-empty", "")])
            #expect(response.status == .ok)
            #expect(response.message.map { String(decoding: $0, as: UTF8.self) } == "x-first=1;x-long=\(long);x-empty=")
            try await fixture.stop()
        }
    }

    @Test("an unknown method ends with UNIMPLEMENTED naming it")
    func unknownMethod() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let response = try await fixture.call("/test.Echo/Nope", [1, 2, 3])
            #expect(response.status.code == .unimplemented)
            #expect(response.status.message.contains("/test.Echo/Nope"))
            try await fixture.stop()
        }
    }

    @Test("a status message with %, non-ASCII and control characters survives percent-encoding")
    func statusMessageEncoding() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let response = try await fixture.call(GRPCFixture.fail, [])
            #expect(response.status == GRPCStatus(.failedPrecondition, "nope: 100% ünïcode\nnewline"))
            try await fixture.stop()
        }
    }

    @Test("a message over the receive limit ends with RESOURCE_EXHAUSTED and the server keeps serving")
    func oversizedMessage() async throws {
        try await withOwnedLoop { loop in
            var configuration = GRPCServerConfiguration()
            configuration.maxReceiveMessageBytes = 1 << 20
            let fixture = try await GRPCFixture.start(loop: loop, configuration: configuration)
            let response = try await fixture.call(GRPCFixture.echo, [UInt8](repeating: 7, count: (1 << 20) + 1))
            #expect(response.status.code == .resourceExhausted)
            #expect(response.status.message.contains("limit of 1048576"))
            let atLimit = try await fixture.call(GRPCFixture.echo, [UInt8](repeating: 7, count: 1 << 20))
            #expect(atLimit.status == .ok)
            try await fixture.stop()
        }
    }

    @Test("a deadline that passes ends the call with DEADLINE_EXCEEDED and tells the handler")
    func deadlineExpires() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await fixture.call(GRPCFixture.hang, [], timeout: .milliseconds(150))
            #expect(response.status.code == .deadlineExceeded)
            // The method never answers: any bound shows the deadline ended the call. A loose
            // one, for a loop slowed by sanitizers on a busy machine.
            #expect(clock.now - start < .seconds(10))
            // The server's own deadline timer (from grpc-timeout) cancels the handler too.
            var seen: [GRPCStatus] = []
            for _ in 0..<100 where seen.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                seen = try await fixture.cancellationsSeen
            }
            #expect(seen.count == 1)
            #expect(seen.first.map { [.deadlineExceeded, .cancelled].contains($0.code) } == true)
            let next = try await fixture.call(GRPCFixture.echo, [9])
            #expect(next.status == .ok)
            try await fixture.stop()
        }
    }

    @Test("a streaming method sees every message and answers each")
    func streaming() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            // The client API is unary: one message in, so one message out and the status.
            let response = try await fixture.call(GRPCFixture.stream, [4, 2])
            #expect(response.status == GRPCStatus(.ok, "saw 1"))
            #expect(response.message == [4, 2])
            try await fixture.stop()
        }
    }

    @Test("graceful shutdown: in-flight calls finish, new calls are refused, health turns NOT_SERVING")
    func gracefulShutdown() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            #expect(try await fixture.healthStatus("") == .serving)
            async let slow = fixture.call(GRPCFixture.delay, Array("300".utf8))
            // The drain is about calls the server has: wait until it has this one.
            try #require(try await fixture.receivedDelayedCalls(1))
            try await fixture.beginShutdown()
            #expect(try await fixture.healthStatus("") == .notServing)
            let late = try await fixture.call(GRPCFixture.echo, [1])
            #expect(late.status.code == .unavailable)
            let finished = try await slow
            #expect(finished.status == .ok, "the in-flight call must complete during the drain")
            #expect(finished.message == Array("300".utf8))
            try await fixture.stop()
        }
    }

    @Test("a client and server nobody holds live until their connections close, then go cleanly")
    func unheldClientAndServer() async throws {
        try await withOwnedLoop { loop in
            let outcome: String = try await onLoop(loop) { finish in
                // Only the closures below refer to these; once the last one returns, only the
                // open connections keep them alive (this used to crash on the close callback).
                let server = GRPCServer(loop: loop)
                server.register("/t.S/M", .unary { call, message in call.respond(message) })
                try server.start()
                let client = try GRPCClient(loop: loop, host: "127.0.0.1", port: server.port)
                client.unary("/t.S/M", request: [5]) { response in
                    client.close()
                    server.shutdown { finish("\(response.status.code) \(response.message ?? [])") }
                }
            }
            #expect(outcome == "ok [5]")
        }
    }

    @Test("a server that was already started refuses to start again")
    func startTwice() async throws {
        try await withOwnedLoop { loop in
            let error: LoopError? = try await loop.submit { () -> LoopError? in
                let server = GRPCServer(loop: loop)
                try server.start()
                defer { server.shutdown() }
                do {
                    try server.start()
                    return nil
                } catch {
                    return error as? LoopError
                }
            }
            #expect(error?.code == .wrongState)
        }
    }
}
