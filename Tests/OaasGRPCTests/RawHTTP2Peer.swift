import OaasHTTP2
import OaasLoop

/// What a raw peer saw on one stream.
struct RawStreamResult: Sendable {
    var headers: [String: String] = [:]
    var trailers: [String: String] = [:]
    var body: [UInt8] = []
    var resetCode: UInt32?
    var closed = false
}

/// What a raw peer saw on the connection.
struct RawConnectionResult: Sendable {
    var streams: [Int32: RawStreamResult] = [:]
    var goAwayCode: UInt32?
    var goAwayDebug = ""
    var connectionClosed = false
}

/// A deliberately unhelpful HTTP/2 client for hostile-input tests: it sends whatever bytes it
/// is told to (through an nghttp2 client session, or raw), and records everything it gets.
/// Loop-confined.
final class RawHTTP2Peer: HTTP2SessionDelegate, LoopTurnObserver {
    let loop: EventLoop
    let tcp: TCPConnection
    let session: HTTP2Session
    var result = RawConnectionResult()
    var onClosed: (() -> Void)?
    private var inTrailers: Set<Int32> = []
    private var outputRequested = false

    static func connect(loop: EventLoop, port: Int, completion: @escaping (RawHTTP2Peer) -> Void) throws {
        try TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) { result in
            completion(try! RawHTTP2Peer(loop: loop, tcp: result.get()))
        }
    }

    private init(loop: EventLoop, tcp: TCPConnection) throws {
        self.loop = loop
        self.tcp = tcp
        session = try HTTP2Session(role: .client)
        session.delegate = self
        tcp.onRead = { [self] event in
            switch event {
            case .bytes(let bytes):
                try? session.receive(bytes)
                flushSoon()
            case .endOfStream, .failed:
                tcp.close()
            }
        }
        tcp.onClose = { [self] _ in
            result.connectionClosed = true
            session.delegate = nil
            onClosed?()
            onClosed = nil
        }
        tcp.startReading()
    }

    /// Opens a stream with these headers (":method" etc. included as given) and raw body bytes.
    @discardableResult
    func request(_ headers: [(String, String)], body: [UInt8]?, endStream: Bool = true) -> Int32 {
        let streamID = try! session.request { block in for (name, value) in headers { block.add(name, value) } }
        if let body { body.withUnsafeBytes { session.sendData(streamID: streamID, $0) } }
        if endStream { session.finish(streamID: streamID) }
        flushSoon()
        return streamID
    }

    /// A well-formed gRPC request header list for `path`.
    static func grpcHeaders(_ path: String, extra: [(String, String)] = []) -> [(String, String)] {
        [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
         ("content-type", "application/grpc"), ("te", "trailers")] + extra
    }

    /// Writes bytes straight to the socket, bypassing HTTP/2.
    func writeRaw(_ bytes: [UInt8]) {
        try? tcp.write(bytes)
    }

    func flushSoon() {
        guard !outputRequested, !tcp.isClosing else { return }
        outputRequested = true
        loop.requestTurnEnd(self)
    }

    func loopTurnWillEnd() {
        outputRequested = false
        guard !tcp.isClosing else { return }
        try? session.drainOutput { chunk in (try? tcp.write(chunk)) != nil }
    }

    func reset(_ streamID: Int32) {
        session.reset(streamID: streamID, code: .cancel)
        flushSoon()
    }

    func close() { tcp.close() }

    // MARK: HTTP2SessionDelegate

    func http2StreamHeadersBegan(_ streamID: Int32, isTrailers: Bool) {
        if isTrailers { inTrailers.insert(streamID) }
    }

    func http2Header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let key = String(decoding: name, as: UTF8.self)
        let text = String(decoding: value, as: UTF8.self)
        if inTrailers.contains(streamID) {
            result.streams[streamID, default: RawStreamResult()].trailers[key] = text
        } else {
            result.streams[streamID, default: RawStreamResult()].headers[key] = text
        }
    }

    func http2StreamHeadersEnded(_ streamID: Int32, isTrailers: Bool, endStream: Bool) {}

    func http2Data(_ streamID: Int32, bytes: UnsafeRawBufferPointer) {
        session.consume(streamID: streamID, count: bytes.count)
        result.streams[streamID, default: RawStreamResult()].body.append(contentsOf: bytes)
    }

    func http2StreamRemoteEnded(_ streamID: Int32) {}

    func http2StreamClosed(_ streamID: Int32, errorCode: UInt32) {
        result.streams[streamID, default: RawStreamResult()].closed = true
        if errorCode != 0 { result.streams[streamID, default: RawStreamResult()].resetCode = errorCode }
    }

    func http2ResetReceived(_ streamID: Int32, errorCode: UInt32) {}
    func http2PingReceived() {}
    func http2PingAcknowledged(payload: UInt64) {}
    func http2SettingsReceived() {}

    func http2GoAwayReceived(lastStreamID: Int32, errorCode: UInt32, debugData: UnsafeRawBufferPointer) {
        result.goAwayCode = errorCode
        result.goAwayDebug = String(decoding: debugData, as: UTF8.self)
    }
}

/// A gRPC message: the 5-byte prefix and the bytes.
func framed(_ message: [UInt8], compressed: Bool = false, claimedLength: Int? = nil) -> [UInt8] {
    let length = UInt32(claimedLength ?? message.count)
    return [compressed ? 1 : 0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF),
            UInt8(length & 0xFF)] + message
}
