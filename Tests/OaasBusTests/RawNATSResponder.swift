@testable import OaasBus
import OaasLoop

/// A bare NATS connection that subscribes to one subject and answers each message with bytes
/// of the test's choosing, written by hand: what a responder sees (header fields included)
/// and what it may send back (status lines our own client never writes). Loop-confined.
final class RawNATSResponder {
    /// What the responder sends back for a message: a header block (with its version and
    /// status line) or nil for a plain `PUB`, and a payload; nil for no answer at all.
    typealias Answer = @Sendable (NATSMessage) -> (headerBlock: String?, payload: [UInt8])?

    private let connection: TCPConnection
    private var parser = NATSParser()
    private let answer: Answer
    private var ready: (() -> Void)?
    /// Every message received, in order.
    private(set) var received: [NATSMessage] = []

    private init(connection: TCPConnection, answer: @escaping Answer) {
        self.connection = connection
        self.answer = answer
    }

    /// Connects to `port`, subscribes to `subject`, and calls `completion` once the server
    /// confirmed the subscription (the PONG behind it).
    static func start(loop: EventLoop, port: Int, subject: String, answer: @escaping Answer,
                      completion: @escaping (Result<RawNATSResponder, LoopError>) -> Void) throws(LoopError) {
        try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let connection):
                let responder = RawNATSResponder(connection: connection, answer: answer)
                responder.ready = { completion(.success(responder)) }
                connection.onRead = { event in responder.didRead(event) }
                connection.startReading()
                let hello = #"CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}"#
                    + "\r\nSUB \(subject) 1\r\nPING\r\n"
                try? connection.write(Array(hello.utf8))
            }
        }
    }

    func close(completion: @escaping () -> Void) {
        connection.close(completion: completion)
    }

    private func didRead(_ event: TCPConnection.ReadEvent) {
        guard case .bytes(let bytes) = event else { return }
        try? parser.parse(bytes) { operation in
            switch operation {
            case .pong:
                ready?()
                ready = nil
            case .ping:
                try? connection.write(Array("PONG\r\n".utf8))
            case .message(let message):
                received.append(message)
                guard let replyTo = message.replyTo, let (block, payload) = answer(message) else { return }
                var bytes: [UInt8]
                if let block {
                    let header = Array(block.utf8)
                    bytes = Array("HPUB \(replyTo) \(header.count) \(header.count + payload.count)\r\n".utf8) + header
                } else {
                    bytes = Array("PUB \(replyTo) \(payload.count)\r\n".utf8)
                }
                bytes += payload + Array("\r\n".utf8)
                try? connection.write(bytes)
            case .info, .ok, .error:
                break
            }
        }
    }
}
