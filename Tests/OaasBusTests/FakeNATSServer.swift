@testable import OaasBus
import OaasLoop

/// A scripted NATS server on the loop, for faults a real server will not produce on demand:
/// garbage bytes, ignored pings, a server that pings, a lame-duck INFO, a fatal `-ERR`.
///
/// Each connection gets an INFO at once and a PONG for the handshake's PING; then what its
/// script says happens. Later PINGs are answered unless the script ignores them; PUB and HPUB
/// payloads are skipped. Loop-confined.
final class FakeNATSServer {
    /// What a connection does once its handshake PONG is sent.
    enum Script {
        /// Behave: answer pings, nothing else.
        case behave
        /// Send these bytes (garbage, an INFO, a PING, an -ERR) and keep behaving.
        case send([UInt8])
        /// Never answer another PING.
        case ignorePings
    }

    let listener: TCPListener
    var port: Int { listener.port }
    /// `INFO {...}` line the server greets with.
    var infoJSON: String
    /// The script of the n-th connection (from 0).
    var script: (Int) -> Script
    private(set) var accepted = 0
    private(set) var pingsReceived = 0
    private(set) var pongsReceived = 0
    private(set) var connectLines: [String] = []
    private var peers: [FakePeer] = []

    init(loop: EventLoop, infoJSON: String? = nil, script: @escaping (Int) -> Script) throws {
        self.infoJSON = infoJSON ?? #"{"server_id":"FAKE","server_name":"fake","version":"2.9.10","proto":1,"headers":true,"max_payload":1048576}"#
        self.script = script
        listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { _ in }
        listener.onAccept = { [unowned self] connection in accept(connection) }
    }

    var url: String { "nats://127.0.0.1:\(port)" }

    private func accept(_ connection: TCPConnection) {
        let peer = FakePeer(connection: connection, script: script(accepted), server: self)
        accepted += 1
        peers.append(peer)
        connection.onRead = { [unowned peer] event in
            switch event {
            case .bytes(let bytes): peer.received(bytes)
            case .endOfStream, .failed: peer.connection.close()
            }
        }
        connection.onClose = { [unowned self, unowned peer] _ in peers.removeAll { $0 === peer } }
        connection.startReading()
        peer.write("INFO \(infoJSON)\r\n")
    }

    fileprivate func sawPing() { pingsReceived += 1 }
    fileprivate func sawPong() { pongsReceived += 1 }
    fileprivate func sawConnect(_ line: String) { connectLines.append(line) }

    /// Closes every connection and the listener, then calls `completion`.
    func close(completion: @escaping () -> Void) {
        let open = peers
        var remaining = open.count + 1
        let done = {
            remaining -= 1
            if remaining == 0 { completion() }
        }
        for peer in open { peer.connection.close(completion: done) }
        listener.close(completion: done)
    }

    /// Cuts every connection (as a crashed server would), keeping the listener.
    func dropConnections() {
        for peer in peers { peer.connection.resetAndClose() }
    }
}

/// One connection to the fake server. Loop-confined.
private final class FakePeer {
    let connection: TCPConnection
    let script: FakeNATSServer.Script
    unowned let server: FakeNATSServer
    private var buffer: [UInt8] = []
    private var payloadToSkip = 0
    private var handshakeDone = false

    init(connection: TCPConnection, script: FakeNATSServer.Script, server: FakeNATSServer) {
        self.connection = connection
        self.script = script
        self.server = server
    }

    func write(_ text: String) {
        write(Array(text.utf8))
    }

    func write(_ bytes: [UInt8]) {
        try? connection.write(bytes)
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        while true {
            if payloadToSkip > 0 {
                guard buffer.count >= payloadToSkip else { return }
                buffer.removeFirst(payloadToSkip)
                payloadToSkip = 0
            }
            guard let end = lineEnd() else { return }
            let line = String(decoding: buffer[..<end], as: UTF8.self)
            buffer.removeFirst(end + 2)
            handle(line)
        }
    }

    private func lineEnd() -> Int? {
        guard buffer.count >= 2 else { return nil }
        for index in 0..<(buffer.count - 1) where buffer[index] == 13 && buffer[index + 1] == 10 { return index }
        return nil
    }

    private func handle(_ line: String) {
        let words = line.split(separator: " ")
        switch words.first?.uppercased() ?? "" {
        case "CONNECT":
            server.sawConnect(line)
        case "PING":
            server.sawPing()
            if !handshakeDone {
                handshakeDone = true
                write("PONG\r\n")
                if case .send(let bytes) = script { write(bytes) }
            } else if case .ignorePings = script {
                return
            } else {
                write("PONG\r\n")
            }
        case "PONG":
            server.sawPong()
        case "PUB", "HPUB":
            // The last field is the payload's size (headers included for HPUB), then CRLF.
            payloadToSkip = (words.last.flatMap { Int($0) } ?? 0) + 2
        default:
            break
        }
    }
}
