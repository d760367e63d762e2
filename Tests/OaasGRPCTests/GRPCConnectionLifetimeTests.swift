import OaasGRPC
import OaasLoop
import OaasTesting
import Testing

@Suite("Connection lifetime: idle, keepalive, GOAWAY")
struct GRPCConnectionLifetimeTests {
    @Test("an idle connection gets GOAWAY, and the client's next call opens a new connection")
    func idleGoAwayThenReconnect() async throws {
        try await withOwnedLoop { loop in
            var configuration = GRPCServerConfiguration()
            configuration.maxConnectionIdle = .milliseconds(500)
            let fixture = try await GRPCFixture.start(loop: loop, configuration: configuration)
            let first = try await fixture.call(GRPCFixture.echo, [1])
            #expect(first.status == .ok)
            // The sweep runs once a second; wait until the idle connection has been closed.
            var closed = false
            for _ in 0..<60 where !closed {
                try await Task.sleep(for: .milliseconds(100))
                closed = try await fixture.connectionCount == 0
            }
            #expect(closed, "the idle connection should have been sent away")
            let second = try await fixture.call(GRPCFixture.echo, [2])
            #expect(second.status == .ok)
            #expect(second.message == [2])
            #expect(try await fixture.stats.connectionsAccepted == 2)
            try await fixture.stop()
        }
    }

    @Test("a peer that never answers keepalive PINGs is closed")
    func keepaliveTimeout() async throws {
        try await withOwnedLoop { loop in
            var configuration = GRPCServerConfiguration()
            configuration.keepaliveInterval = .milliseconds(500)
            configuration.keepaliveTimeout = .milliseconds(500)
            let fixture = try await GRPCFixture.start(loop: loop, configuration: configuration)
            let port = try await fixture.port
            // A peer that sends the preface and its SETTINGS, then goes silent for good.
            let closedAfter: Duration = try await onLoop(loop) { finish in
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
                    let peer = try! result.get()
                    let start = ContinuousClock.now
                    peer.onRead = { event in
                        if case .bytes = event { return }
                        peer.close()  // the server hung up
                    }
                    peer.onClose = { _ in finish(ContinuousClock.now - start) }
                    peer.startReading()
                    try! peer.write(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0])
                }
            }
            #expect(closedAfter >= .milliseconds(900), "closed after \(closedAfter): before PING and timeout could pass")
            #expect(closedAfter < .seconds(5))
            try await fixture.stop()
        }
    }

    @Test("a flood of SETTINGS frames gets GOAWAY(ENHANCE_YOUR_CALM)")
    func settingsFlood() async throws {
        try await withOwnedLoop { loop in
            let fixture = try await GRPCFixture.start(loop: loop)
            let port = try await fixture.port
            let received: [UInt8] = try await onLoop(loop) { finish in
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
                    let peer = try! result.get()
                    var bytes: [UInt8] = []
                    peer.onRead = { event in
                        if case .bytes(let chunk) = event { return bytes.append(contentsOf: chunk) }
                        peer.close()  // the server hung up
                    }
                    peer.onClose = { _ in finish(bytes) }
                    peer.startReading()
                    var flood = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
                    for _ in 0..<500 { flood += [0, 0, 0, 4, 0, 0, 0, 0, 0] }  // empty SETTINGS frames
                    try! peer.write(flood)
                }
            }
            // Find a GOAWAY frame (type 7) and read its error code.
            var offset = 0
            var goAwayCode: UInt32?
            while offset + 9 <= received.count {
                let length = Int(received[offset]) << 16 | Int(received[offset + 1]) << 8 | Int(received[offset + 2])
                if received[offset + 3] == 7, offset + 9 + 8 <= received.count {
                    let code = received[(offset + 13)...(offset + 16)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    goAwayCode = code
                }
                offset += 9 + length
            }
            #expect(goAwayCode == 0xB)
            #expect(try await fixture.stats.floodsDetected == 1)
            try await fixture.stop()
        }
    }
}
