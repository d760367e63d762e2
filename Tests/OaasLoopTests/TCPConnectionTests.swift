import Foundation
import OaasLoop
import OaasTesting
import Testing

@Suite("TCP")
struct TCPConnectionTests {
    @Test("64 MiB echo through a deliberately slow reader: every byte intact, buffers bounded")
    func echoThroughSlowReader() async throws {
        try await withOwnedLoop { loop in
            struct Outcome: Sendable {
                var received = 0
                var corruptAt: Int?
                var clientMaxBuffered = 0
                var server = EchoStats()
                var highWaterMark = 0
            }
            let total = 64 << 20
            let chunk = 64 << 10
            let pattern = BytePattern()
            let outcome: Outcome = try await onLoop(loop) { finish in
                let serverStats = LoopBox(loop, EchoStats())
                let listener = try startEchoServer(loop: loop, stats: serverStats)
                var result = Outcome()
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { connected in
                    guard case .success(let client) = connected else {
                        Issue.record("connect failed: \(connected)")
                        listener.close()
                        return finish(result)
                    }
                    result.highWaterMark = client.highWaterMark
                    var sent = 0
                    func pump() {
                        while sent < total, client.isWritable {
                            let count = min(chunk, total - sent)
                            try! client.write(pattern.bytes(from: sent, count: count))
                            sent += count
                            result.clientMaxBuffered = max(result.clientMaxBuffered, client.bufferedByteCount)
                        }
                        if sent == total, !client.isWriteSideShutDown { client.shutdownWrite() }
                    }
                    client.onWritabilityChanged = { writable in if writable { pump() } }
                    client.onRead = { event in
                        switch event {
                        case .bytes(let bytes):
                            if result.corruptAt == nil, !pattern.matches(bytes, at: result.received) {
                                result.corruptAt = result.received
                            }
                            result.received += bytes.count
                            // The slow reader: a pause of a millisecond after every read.
                            client.pauseReading()
                            loop.schedule(after: .milliseconds(1)) { client.startReading() }
                        case .endOfStream, .failed:
                            client.close {
                                listener.close {
                                    result.server = serverStats.value
                                    finish(result)
                                }
                            }
                        }
                    }
                    client.startReading()
                    pump()
                }
            }
            #expect(outcome.corruptAt == nil, "echoed bytes differ from those sent")
            #expect(outcome.received == total)
            #expect(outcome.server.closeErrors.isEmpty)
            #expect(outcome.server.pauses > 0, "the server never had to apply back-pressure")
            // Bounded: neither side ever held more than its high-water mark plus one read.
            #expect(outcome.server.maxBuffered <= outcome.highWaterMark + EventLoop.readChunkSize)
            #expect(outcome.clientMaxBuffered <= outcome.highWaterMark + chunk)
        }
    }

    @Test("connecting to a closed port fails with a clear error")
    func connectToClosedPort() async throws {
        try await withOwnedLoop { loop in
            let error: LoopError? = try await onLoop(loop) { (finish: @escaping @Sendable (LoopError?) -> Void) in
                let probe = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { $0.close() }
                let port = probe.port
                probe.close {
                    do {
                        try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
                            switch result {
                            case .success(let connection):
                                connection.close { finish(nil) }
                            case .failure(let error):
                                finish(error)
                            }
                        }
                    } catch {
                        finish(error as? LoopError)
                    }
                }
            }
            let refused = try #require(error)
            #expect(refused.code == .connectionRefused)
            #expect(refused.name == "ECONNREFUSED")
            #expect(refused.description.contains("connect to 127.0.0.1:"))
            #expect(refused.description.contains("refused"))
        }
    }

    @Test("binding a port in use fails with a clear error, and the first listener keeps working")
    func bindPortInUse() async throws {
        try await withOwnedLoop { loop in
            let (error, echoed): (LoopError?, Bool) = try await onLoop(loop) { finish in
                let stats = LoopBox(loop, EchoStats())
                let first = try startEchoServer(loop: loop, stats: stats)
                var bindError: LoopError?
                do {
                    let second = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: first.port) { $0.close() }
                    second.close()
                } catch {
                    bindError = error as? LoopError
                }
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: first.port) { result in
                    guard case .success(let client) = result else { return first.close { finish((bindError, false)) } }
                    client.onRead = { event in
                        var ok = false
                        if case .bytes(let bytes) = event { ok = Array(bytes) == Array("ping".utf8) }
                        client.close { first.close { finish((bindError, ok)) } }
                    }
                    client.startReading()
                    try! client.write(Array("ping".utf8))
                }
            }
            let inUse = try #require(error)
            #expect(inUse.code == .addressInUse)
            #expect(inUse.description.contains("address already in use"))
            #expect(inUse.description.contains("127.0.0.1:"))
            #expect(echoed)
        }
    }

    @Test("bad addresses are refused with clear errors", arguments: [
        ("not-an-ip", 0, LoopError.Code.unresolvableHost),
        ("999.1.2.3", 0, .unresolvableHost),
        ("", 0, .unresolvableHost),
        ("127.0.0.1", 70_000, .invalidArgument),
        ("127.0.0.1", -1, .invalidArgument),
        ("192.0.2.1", 0, .addressNotAvailable),  // TEST-NET-1: never an address of this machine
    ])
    func badListenAddress(host: String, port: Int, expected: LoopError.Code) async throws {
        try await withOwnedLoop { loop in
            let error: LoopError? = try await loop.submit { () -> LoopError? in
                do {
                    let listener = try TCPListener.listen(loop: loop, host: host, port: port) { $0.close() }
                    listener.close()
                    return nil
                } catch {
                    return error as? LoopError
                }
            }
            let failure = try #require(error)
            #expect(failure.code == expected, "\(failure)")
            #expect(!failure.message.isEmpty)
        }
    }

    @Test("a connect that gets no answer times out with a clear error")
    func connectTimesOut() async throws {
        // A listening socket with a backlog of 0 that never accepts: once its queue is full the
        // kernel drops further SYNs, so those handshakes never complete.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        try #require(listen(fd, 0) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))

        try await withOwnedLoop { loop in
            let errors: [LoopError] = try await onLoop(loop) { finish in
                var open: [TCPConnection] = []
                var errors: [LoopError] = []
                var attempts = 0
                func attempt() {
                    attempts += 1
                    try! TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port,
                                               timeout: .milliseconds(300)) { result in
                        switch result {
                        case .success(let connection): open.append(connection)
                        case .failure(let error): errors.append(error)
                        }
                        if errors.isEmpty, attempts < 8 {
                            attempt()
                        } else {
                            for connection in open { connection.close() }
                            finish(errors)
                        }
                    }
                }
                attempt()
            }
            let timedOut = try #require(errors.first)
            #expect(timedOut.code == .timedOut)
            #expect(timedOut.description.contains("timed out"))
        }
    }

    @Test("bytes written in one loop turn leave in a single write")
    func writesCoalescePerTurn() async throws {
        try await withOwnedLoop { loop in
            let (reads, bytes): (Int, Int) = try await onLoop(loop) { finish in
                var serverReads = 0
                var serverBytes = 0
                var serverSide: TCPConnection?
                let listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { connection in
                    serverSide = connection
                    connection.onRead = { event in
                        if case .bytes(let chunk) = event {
                            serverReads += 1
                            serverBytes += chunk.count
                        }
                    }
                    connection.startReading()
                }
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                    let client = try! result.get()
                    // 1,000 tiny writes in one turn: with Nagle off, uncoalesced they would be
                    // 1,000 syscalls and typically many segments.
                    for index in 0..<1_000 { try! client.write([UInt8(truncatingIfNeeded: index)]) }
                    #expect(client.bufferedByteCount == 1_000)
                    loop.schedule(after: .milliseconds(100)) {
                        #expect(client.bytesWritten == 1_000)
                        client.close { serverSide?.close { listener.close { finish((serverReads, serverBytes)) } } }
                    }
                }
            }
            #expect(bytes == 1_000)
            #expect(reads == 1, "the server saw the bytes in \(reads) reads")
        }
    }
}
