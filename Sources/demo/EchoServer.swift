import OaasLoop

/// A TCP echo server with back-pressure. Loop thread only.
enum EchoServer {
    static func start(loop: EventLoop, port: Int) throws(LoopError) -> TCPListener {
        var open: [ObjectIdentifier: TCPConnection] = [:]
        let listener = try TCPListener.listen(loop: loop, host: "127.0.0.1", port: port) { connection in
            open[ObjectIdentifier(connection)] = connection
            connection.onRead = { event in
                switch event {
                case .bytes(let bytes):
                    try? connection.write(bytes)
                    // Stop reading a client that does not read its echoes.
                    if !connection.isWritable { connection.pauseReading() }
                case .endOfStream:
                    connection.shutdownWrite { _ in connection.close() }
                case .failed:
                    break
                }
            }
            connection.onWritabilityChanged = { writable in if writable { connection.startReading() } }
            connection.onClose = { _ in open[ObjectIdentifier(connection)] = nil }
            connection.startReading()
        }
        // On shutdown, close the connections still open so the loop ends cleanly.
        loop.onShutdown { for connection in open.values { connection.close() } }
        return listener
    }
}
