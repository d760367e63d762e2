@testable import OaasGRPC
import OaasHTTP2
import OaasLoop
import OaasTesting
import Testing

/// Each hostile peer gets a clear error for its stream or connection, and the server keeps
/// serving everyone else: every test ends with a normal call that must succeed.
@Suite("gRPC server against hostile input")
struct GRPCHostileInputTests {
    /// Connects a raw peer, runs `script` on the loop, waits `settle` (or until the server
    /// closes the connection), then closes it and returns what it saw.
    private func runPeer(_ fixture: GRPCFixture, settle: Duration = .milliseconds(300),
                         _ script: @escaping @Sendable (RawHTTP2Peer) -> Void) async throws -> RawConnectionResult {
        let loop = fixture.loop
        let port = try await fixture.port
        return try await onLoop(loop) { finish in
            try RawHTTP2Peer.connect(loop: loop, port: port) { peer in
                var done = false
                let timer = loop.schedule(after: settle) {
                    guard !done else { return }
                    done = true
                    peer.onClosed = nil
                    peer.close()
                    finish(peer.result)
                }
                peer.onClosed = { [unowned peer] in
                    guard !done else { return }
                    done = true
                    timer.close()
                    finish(peer.result)
                }
                script(peer)
            }
        }
    }

    private func expectStillServing(_ fixture: GRPCFixture, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await fixture.call(GRPCFixture.echo, Array("still serving".utf8))
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        #expect(response.message == Array("still serving".utf8), sourceLocation: sourceLocation)
    }

    private func withFixture(_ configure: (inout GRPCServerConfiguration) -> Void = { _ in },
                             _ body: (GRPCFixture) async throws -> Void) async throws {
        try await withOwnedLoop { loop in
            var configuration = GRPCServerConfiguration()
            configure(&configuration)
            let fixture = try await GRPCFixture.start(loop: loop, configuration: configuration)
            try await body(fixture)
            try await expectStillServing(fixture)
            try await fixture.stop()
        }
    }

    @Test("garbage instead of the connection preface closes that connection only")
    func garbagePreface() async throws {
        try await withFixture { fixture in
            let result = try await runPeer(fixture, settle: .seconds(2)) { peer in
                peer.writeRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [UInt8](repeating: 0xFF, count: 64))
            }
            #expect(result.connectionClosed, "the server should close a connection with a bad preface")
            #expect(try await fixture.stats.protocolErrors >= 1)
        }
    }

    @Test("a truncated frame followed by close leaves the server unharmed")
    func truncatedFrame() async throws {
        try await withFixture { fixture in
            _ = try await runPeer(fixture, settle: .milliseconds(100)) { peer in
                peer.loopTurnWillEnd()  // the preface and SETTINGS
                // A HEADERS frame header announcing 200 bytes, then only 3 of them.
                peer.writeRaw([0, 0, 200, 0x1, 0x4, 0, 0, 0, 1, 0x82, 0x86, 0x84])
                peer.loop.schedule(after: .milliseconds(20)) { peer.close() }
            }
        }
    }

    @Test("HEADERS without :path resets that stream; the connection keeps working")
    func headersWithoutPath() async throws {
        try await withFixture { fixture in
            let result = try await runPeer(fixture) { peer in
                peer.request([(":method", "POST"), (":scheme", "http"), (":authority", "x"),
                              ("content-type", "application/grpc")], body: framed([1]))
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([42]))
            }
            #expect(result.streams[1]?.resetCode == HTTP2ErrorCode.protocolError.rawValue)
            #expect(result.streams[3]?.trailers["grpc-status"] == "0")
            #expect(result.streams[3]?.body == framed([42]))
            #expect(!result.connectionClosed)
        }
    }

    @Test("a length prefix above the limit ends the call with RESOURCE_EXHAUSTED before the body arrives")
    func prefixAboveLimit() async throws {
        try await withFixture({ $0.maxReceiveMessageBytes = 1_000 }) { fixture in
            let result = try await runPeer(fixture) { peer in
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([1, 2, 3], claimedLength: 50_000),
                             endStream: false)
            }
            let stream = try #require(result.streams[1])
            #expect(stream.headers["grpc-status"] == "8", "Trailers-Only response expected: \(stream)")
            #expect(stream.headers["grpc-message"]?.contains("50000") == true)
        }
    }

    @Test("a length prefix larger than the data before END_STREAM ends with INTERNAL")
    func prefixLargerThanData() async throws {
        try await withFixture { fixture in
            let result = try await runPeer(fixture) { peer in
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([1, 2, 3], claimedLength: 100))
            }
            let stream = try #require(result.streams[1])
            #expect(stream.headers["grpc-status"] == "13")
            #expect(stream.headers["grpc-message"]?.contains("middle of a message") == true)
        }
    }

    @Test("two request messages on a unary method end with UNIMPLEMENTED")
    func twoMessagesOnUnary() async throws {
        try await withFixture { fixture in
            let result = try await runPeer(fixture) { peer in
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([1]) + framed([2]))
            }
            #expect(result.streams[1]?.headers["grpc-status"] == "12")
        }
    }

    @Test("a request message that is not valid protobuf gets a clear status (health Check: INVALID_ARGUMENT)")
    func invalidProtobuf() async throws {
        try await withFixture { fixture in
            let response = try await fixture.call("/grpc.health.v1.Health/Check", [0xFF, 0xFF, 0xFF, 0xFF])
            #expect(response.status.code == .invalidArgument)
            #expect(response.status.message.contains("HealthCheckRequest"))
        }
    }

    @Test("a wrong content-type gets HTTP 415")
    func wrongContentType() async throws {
        try await withFixture { fixture in
            let result = try await runPeer(fixture) { peer in
                peer.request([(":method", "POST"), (":scheme", "http"), (":path", GRPCFixture.echo), (":authority", "x"),
                              ("content-type", "text/plain")], body: Array("hi".utf8))
            }
            #expect(result.streams[1]?.headers[":status"] == "415")
            #expect(try await fixture.stats.httpRejections == 1)
        }
    }

    @Test("gzip requests are inflated; an unsupported encoding gets UNIMPLEMENTED with the accepted list")
    func encodings() async throws {
        try await withFixture { fixture in
            let message = Array(String(repeating: "compress me ", count: 100).utf8)
            let result = try await runPeer(fixture) { peer in
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo, extra: [("grpc-encoding", "gzip")]),
                             body: framed(GRPCCompression.gzip(message), compressed: true))
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo, extra: [("grpc-encoding", "snappy")]),
                             body: framed([1]))
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([1, 2], compressed: true))
            }
            #expect(result.streams[1]?.trailers["grpc-status"] == "0")
            #expect(result.streams[1]?.body == framed(message))
            #expect(result.streams[3]?.headers["grpc-status"] == "12")
            #expect(result.streams[3]?.headers["grpc-accept-encoding"]?.contains("gzip") == true)
            #expect(result.streams[5]?.headers["grpc-status"] == "13", "compressed flag without grpc-encoding")
        }
    }

    @Test("a corrupt or oversized gzip message is refused", arguments: [false, true])
    func badGzip(oversized: Bool) async throws {
        try await withFixture({ $0.maxReceiveMessageBytes = 10_000 }) { fixture in
            // A bomb: 1 MiB of zeros compresses to about 1 KiB, far under the limit on the wire.
            let payload = oversized ? GRPCCompression.gzip([UInt8](repeating: 0, count: 1 << 20)) : [0x1F, 0x8B, 8, 0, 1, 2, 3]
            let result = try await runPeer(fixture) { peer in
                peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo, extra: [("grpc-encoding", "gzip")]),
                             body: framed(payload, compressed: true))
            }
            #expect(result.streams[1]?.headers["grpc-status"] == (oversized ? "8" : "13"))
        }
    }

    @Test("a flood of stream resets gets GOAWAY(ENHANCE_YOUR_CALM)")
    func rapidReset() async throws {
        try await withFixture { fixture in
            // The server ends it within the first rounds; the generous bounds are for a loop
            // slowed down by sanitizers and a busy machine (peer and server share the loop).
            let result = try await runPeer(fixture, settle: .seconds(10)) { peer in
                // Rounds of 50 requests, each reset in the next turn, once its HEADERS are out
                // (nghttp2 drops a request reset before it was sent, so that would send nothing),
                // until the server closes the connection.
                var rounds = 0
                let timer = LoopTimer(loop: peer.loop)
                timer.start(after: .milliseconds(1), repeating: .milliseconds(2)) {
                    rounds += 1
                    guard rounds <= 400, !peer.result.connectionClosed else { return timer.close() }
                    let streams = (0..<50).map { _ in
                        peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.hang), body: nil, endStream: false)
                    }
                    peer.loop.schedule(after: .milliseconds(1)) { for stream in streams { peer.reset(stream) } }
                }
                peer.onClosed = { [onClosed = peer.onClosed] in
                    timer.close()
                    onClosed?()
                }
            }
            let goAway = result.goAwayCode
            let closed = result.connectionClosed
            #expect(goAway == HTTP2ErrorCode.enhanceYourCalm.rawValue)
            #expect(closed)
            #expect(try await fixture.stats.floodsDetected == 1)
        }
    }

    @Test("a flood of PINGs gets GOAWAY(ENHANCE_YOUR_CALM, too_many_pings)")
    func pingFlood() async throws {
        try await withFixture { fixture in
            let result = try await runPeer(fixture, settle: .seconds(3)) { peer in
                for index in 0..<1_000 { peer.session.ping(payload: UInt64(index)) }
                peer.flushSoon()
            }
            let (goAway, debug, closed) = (result.goAwayCode, result.goAwayDebug, result.connectionClosed)
            #expect(goAway == HTTP2ErrorCode.enhanceYourCalm.rawValue)
            #expect(debug == "too_many_pings")
            #expect(closed)
        }
    }

    @Test("connections beyond the limit are refused cleanly while the others are served")
    func connectionLimit() async throws {
        try await withFixture({ $0.maxConnections = 2 }) { fixture in
            let loop = fixture.loop
            let port = try await fixture.port
            // Two peers hold their connections open while a third tries.
            let outcome: (RawConnectionResult, Int) = try await onLoop(loop) { finish in
                var holders: [RawHTTP2Peer] = []
                func openHolder(_ then: @escaping () -> Void) {
                    try! RawHTTP2Peer.connect(loop: loop, port: port) { peer in
                        holders.append(peer)
                        peer.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([7]))
                        then()
                    }
                }
                openHolder {
                    openHolder {
                        loop.schedule(after: .milliseconds(100)) {
                            try! RawHTTP2Peer.connect(loop: loop, port: port) { extra in
                                extra.request(RawHTTP2Peer.grpcHeaders(GRPCFixture.echo), body: framed([8]))
                                extra.onClosed = {
                                    let served = holders.filter { $0.result.streams[1]?.trailers["grpc-status"] == "0" }.count
                                    for holder in holders { holder.close() }
                                    finish((extra.result, served))
                                }
                            }
                        }
                    }
                }
            }
            let (refused, served) = outcome
            #expect(refused.connectionClosed)
            #expect(refused.goAwayCode == HTTP2ErrorCode.noError.rawValue)
            #expect(refused.goAwayDebug == "too many connections")
            #expect(refused.streams[1]?.trailers["grpc-status"] == nil, "the refused connection served nothing")
            #expect(served == 2)
            #expect(try await fixture.stats.connectionsRefused == 1)
            // Let the holders' connections close before the final call takes a slot.
            for _ in 0..<100 where try await fixture.connectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
    }
}
