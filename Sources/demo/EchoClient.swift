import OaasLoop

/// Sends lines to the echo server and prints what comes back. Loop thread only.
enum EchoClient {
    static func talk(loop: EventLoop, port: Int, lines: [String], done: @escaping () -> Void) {
        do {
            try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port, timeout: .seconds(2)) { result in
                guard case .success(let client) = result else {
                    say("client could not connect: \(result)")
                    return done()
                }
                var echoed: [UInt8] = []
                client.onRead = { event in
                    switch event {
                    case .bytes(let bytes):
                        echoed.append(contentsOf: bytes)
                    case .endOfStream, .failed:
                        for line in String(decoding: echoed, as: UTF8.self).split(separator: "\n") {
                            say("client got back: \(line)")
                        }
                        client.close(completion: done)
                    }
                }
                client.startReading()
                for line in lines {
                    say("client sends:    \(line)")
                    try? client.write(Array((line + "\n").utf8))
                }
                // All written in one loop turn: they leave in one write, then the FIN.
                client.shutdownWrite()
            }
        } catch {
            say("client could not connect: \(error)")
            done()
        }
    }
}
