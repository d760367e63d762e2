import OaasLoop
import OaasTesting

/// What an echo server saw, for assertions.
struct EchoStats: Sendable {
    var accepted = 0
    var closed = 0
    var closeErrors: [LoopError] = []
    var pauses = 0
    var maxBuffered = 0
}

/// A TCP echo server with back-pressure: when a connection's write buffer passes the high-water
/// mark it stops reading that connection until the buffer drains. Loop thread only.
func startEchoServer(loop: EventLoop, stats: LoopBox<EchoStats>) throws -> TCPListener {
    try TCPListener.listen(loop: loop, host: "127.0.0.1", port: 0) { connection in
        stats.value.accepted += 1
        connection.onRead = { event in
            switch event {
            case .bytes(let bytes):
                do {
                    try connection.write(bytes)
                } catch {
                    connection.close()
                    return
                }
                stats.value.maxBuffered = max(stats.value.maxBuffered, connection.bufferedByteCount)
                if !connection.isWritable {
                    stats.value.pauses += 1
                    connection.pauseReading()
                }
            case .endOfStream:
                connection.shutdownWrite { _ in connection.close() }
            case .failed:
                break
            }
        }
        connection.onWritabilityChanged = { writable in
            if writable { connection.startReading() }
        }
        connection.onClose = { error in
            stats.value.closed += 1
            if let error { stats.value.closeErrors.append(error) }
        }
        connection.startReading()
    }
}
