import Foundation
import OaasLoop
import OaasTesting
import Testing

/// Hostile and broken peers. Each test checks that the fault is reported clearly, that the
/// faulty connection's state is released, and that the server keeps serving others.
@Suite("TCP faults")
struct TCPFaultTests {
    /// Opens a connection, writes `message`, and reports what came back before end of stream.
    /// Loop thread only.
    private static func echoRoundTrip(loop: EventLoop, port: Int, message: [UInt8],
                                      completion: @escaping ([UInt8]?) -> Void) {
        do throws(LoopError) {
            try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
                guard case .success(let client) = result else { return completion(nil) }
                var echoed: [UInt8] = []
                client.onRead = { event in
                    switch event {
                    case .bytes(let bytes): echoed.append(contentsOf: bytes)
                    case .endOfStream, .failed: client.close { completion(echoed) }
                    }
                }
                client.startReading()
                try? client.write(message)
                client.shutdownWrite()
            }
        } catch {
            completion(nil)
        }
    }

    @Test("a peer that resets mid-write: the writer gets a clear error and the server keeps serving")
    func peerResetsMidWrite() async throws {
        try await withOwnedLoop { loop in
            struct Outcome: Sendable {
                var writerError: LoopError?
                var writerClosed = false
                var laterEcho: [UInt8]?
            }
            let outcome: Outcome = try await onLoop(loop) { finish in
                var result = Outcome()
                let echoStats = LoopBox(loop, EchoStats())
                let echo = try startEchoServer(loop: loop, stats: echoStats)
                // A firehose: writes to each connection for as long as it can.
                let firehose = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { connection in
                    let block = [UInt8](repeating: 0xAB, count: 64 << 10)
                    func pump() {
                        while connection.isWritable, !connection.isClosing {
                            do { try connection.write(block) } catch { return }
                        }
                    }
                    connection.onWritabilityChanged = { writable in if writable { pump() } }
                    connection.onClose = { error in
                        result.writerError = error
                        result.writerClosed = true
                        // The server is still up: a fresh client gets its echo.
                        Self.echoRoundTrip(loop: loop, port: echo.port, message: Array("still here".utf8)) { echoed in
                            result.laterEcho = echoed
                            echo.close()
                            finish(result)
                        }
                    }
                    // Read so that the peer's reset is noticed even between writes.
                    connection.onRead = { _ in }
                    connection.startReading()
                    pump()
                }
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: firehose.port) { result in
                    let client = try! result.get()
                    var received = 0
                    client.onRead = { event in
                        guard case .bytes(let bytes) = event else { return }
                        received += bytes.count
                        // Part-way through the stream, slam the door.
                        if received > 256 << 10 {
                            client.resetAndClose()
                            firehose.close()
                        }
                    }
                    client.startReading()
                }
            }
            #expect(outcome.writerClosed)
            let error = try #require(outcome.writerError, "the writer was not told why the connection closed")
            #expect([LoopError.Code.connectionReset, .brokenPipe].contains(error.code), "\(error)")
            #expect(outcome.laterEcho == Array("still here".utf8))
        }
    }

    @Test("a peer that never reads: the writer sees the high-water mark and nothing buffers without bound")
    func peerNeverReads() async throws {
        try await withOwnedLoop { loop in
            struct Outcome: Sendable {
                var becameUnwritable = false
                var bufferedWhenStalled = 0
                var highWaterMark = 0
                var maxBufferedBytes = 0
                var refusal: LoopError?
                var bufferedAfterRefusal = 0
                var acceptedAfterStall = 0
            }
            let outcome: Outcome = try await onLoop(loop) { finish in
                var result = Outcome()
                var silentPeer: TCPConnection?
                var listenerRef: TCPListener?
                let listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { writer in
                    writer.highWaterMark = 1 << 20
                    writer.lowWaterMark = 256 << 10
                    writer.maxBufferedBytes = 8 << 20
                    result.highWaterMark = writer.highWaterMark
                    result.maxBufferedBytes = writer.maxBufferedBytes
                    let block = [UInt8](repeating: 0x5A, count: 64 << 10)
                    func pump() {
                        while writer.isWritable { try! writer.write(block) }
                    }
                    writer.onWritabilityChanged = { writable in
                        if writable { return pump() }
                        // The kernel soaks up the first megabytes, so the mark flips a few
                        // times before the stall; arm the check once.
                        guard !result.becameUnwritable else { return }
                        result.becameUnwritable = true
                        // Once the kernel's buffers are full too, nothing moves: check after a pause.
                        loop.schedule(after: .milliseconds(300)) {
                            result.bufferedWhenStalled = writer.bufferedByteCount
                            // A writer that ignores the mark is stopped at the hard limit.
                            while true {
                                do throws(LoopError) {
                                    try writer.write(block)
                                    result.acceptedAfterStall += block.count
                                } catch {
                                    result.refusal = error
                                    break
                                }
                            }
                            result.bufferedAfterRefusal = writer.bufferedByteCount
                            writer.close {
                                silentPeer?.close { listenerRef?.close { finish(result) } }
                            }
                        }
                    }
                    pump()
                }
                listenerRef = listener
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { connected in
                    silentPeer = try! connected.get()  // never starts reading
                }
            }
            #expect(outcome.becameUnwritable)
            #expect(outcome.bufferedWhenStalled >= outcome.highWaterMark, "the writer's buffer should hold the surplus")
            let refusal = try #require(outcome.refusal)
            #expect(refusal.code == .writeBufferFull)
            #expect(refusal.description.contains("limit"))
            #expect(outcome.bufferedAfterRefusal <= outcome.maxBufferedBytes)
            #expect(outcome.bufferedAfterRefusal == outcome.bufferedWhenStalled + outcome.acceptedAfterStall,
                    "a refused write must not change what is buffered")
        }
    }

    @Test("1,000 connections opened and dropped leak no handles or sockets")
    func thousandConnectionsChurn() async throws {
        try await withOwnedLoop { loop in
            let outcome: ChurnOutcome = try await onLoop(loop) { finish in
                try ConnectionChurn(loop: loop, total: 1_000, concurrency: 50, finish: finish).start()
            }
            #expect(outcome.clientFailures == 0)
            #expect(outcome.accepted == 1_000)
            #expect(outcome.serverClosed == 1_000)
            #expect(outcome.openHandlesAtEnd == 1, "only the listener should be open")
            #expect(outcome.socketsAtEnd == 1, "only the listening socket should hold a descriptor")
        }
    }

    @Test("write, half-close and read after close are refused with clear errors")
    func misuseAfterClose() async throws {
        try await withOwnedLoop { loop in
            let errors: [LoopError] = try await onLoop(loop) { finish in
                var errors: [LoopError] = []
                var serverSide: TCPConnection?
                let listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { serverSide = $0 }
                try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { connected in
                    let client = try! connected.get()
                    client.shutdownWrite { error in
                        #expect(error == nil)
                        do throws(LoopError) { try client.write([1]) } catch { errors.append(error) }
                        client.shutdownWrite { error in if let error { errors.append(error) } }
                        client.close {
                            do throws(LoopError) { try client.write([1]) } catch { errors.append(error) }
                            client.startReading()  // ignored on a closed connection
                            client.close()         // idempotent
                            serverSide?.close { listener.close { finish(errors) } }
                        }
                    }
                }
            }
            #expect(errors.count == 3)
            #expect(errors.allSatisfy { $0.code == .connectionClosed })
        }
    }
}

struct ChurnOutcome: Sendable {
    var accepted = 0
    var serverClosed = 0
    var clientFailures = 0
    var openHandlesAtEnd = 0
    var socketsAtEnd = 0
}

/// Opens `total` connections, `concurrency` at a time, and drops each at once: by an orderly
/// close, a reset, or a close straight after a write. Loop-confined.
private final class ConnectionChurn {
    let loop: EventLoop
    let total: Int
    let concurrency: Int
    let finish: @Sendable (ChurnOutcome) -> Void
    var outcome = ChurnOutcome()
    var started = 0
    var listener: TCPListener?

    init(loop: EventLoop, total: Int, concurrency: Int, finish: @escaping @Sendable (ChurnOutcome) -> Void) {
        self.loop = loop
        self.total = total
        self.concurrency = concurrency
        self.finish = finish
    }

    func start() throws {
        listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { [self] connection in
            outcome.accepted += 1
            connection.onRead = { event in
                switch event {
                case .bytes: break
                case .endOfStream, .failed: connection.close()
                }
            }
            connection.onClose = { [self] _ in
                outcome.serverClosed += 1
                if outcome.serverClosed == total { wrapUp() }
            }
            connection.startReading()
        }
        for _ in 0..<concurrency { startNext() }
    }

    private func startNext() {
        guard started < total, let port = listener?.port else { return }
        let index = started
        started += 1
        try! TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { [self] connected in
            switch connected {
            case .success(let client):
                switch index % 3 {
                case 0: client.close()
                case 1: client.resetAndClose()
                default:
                    try? client.write([1, 2, 3])
                    client.close()
                }
            case .failure:
                outcome.clientFailures += 1
            }
            startNext()
        }
    }

    private func wrapUp() {
        guard let listener else { return }
        // Every server-side connection has closed; only the listener should remain.
        outcome.openHandlesAtEnd = loop.openHandleCount
        outcome.socketsAtEnd = openSocketsTouching(port: listener.port)
        listener.close { [self] in finish(outcome) }
    }
}
