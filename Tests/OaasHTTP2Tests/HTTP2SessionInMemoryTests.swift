import OaasHTTP2
import Testing

/// Records what a session reports, for in-memory tests.
private final class Recorder: HTTP2SessionDelegate {
    var headers: [Int32: [String: String]] = [:]
    var trailers: [Int32: [String: String]] = [:]
    var body: [Int32: [UInt8]] = [:]
    var remoteEnded: Set<Int32> = []
    var closed: [Int32: UInt32] = [:]
    var goAway: (lastStreamID: Int32, code: UInt32)?
    var pingsAcknowledged: [UInt64] = []
    /// When set, body bytes are taken (and windows reopened) only when the test says so.
    var consumeImmediately = true
    weak var session: HTTP2Session?
    private var inTrailers: Set<Int32> = []

    func http2StreamHeadersBegan(_ streamID: Int32, isTrailers: Bool) { if isTrailers { inTrailers.insert(streamID) } }
    func http2Header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let key = String(decoding: name, as: UTF8.self)
        let text = String(decoding: value, as: UTF8.self)
        if inTrailers.contains(streamID) { trailers[streamID, default: [:]][key] = text } else { headers[streamID, default: [:]][key] = text }
    }
    func http2StreamHeadersEnded(_ streamID: Int32, isTrailers: Bool, endStream: Bool) { if endStream { remoteEnded.insert(streamID) } }
    func http2Data(_ streamID: Int32, bytes: UnsafeRawBufferPointer) {
        body[streamID, default: []].append(contentsOf: bytes)
        if consumeImmediately { session?.consume(streamID: streamID, count: bytes.count) }
    }
    func http2StreamRemoteEnded(_ streamID: Int32) { remoteEnded.insert(streamID) }
    func http2StreamClosed(_ streamID: Int32, errorCode: UInt32) { closed[streamID] = errorCode }
    func http2ResetReceived(_ streamID: Int32, errorCode: UInt32) {}
    func http2PingReceived() {}
    func http2PingAcknowledged(payload: UInt64) { pingsAcknowledged.append(payload) }
    func http2SettingsReceived() {}
    func http2GoAwayReceived(lastStreamID: Int32, errorCode: UInt32, debugData: UnsafeRawBufferPointer) {
        goAway = (lastStreamID, errorCode)
    }
}

/// A client and a server session joined by two in-memory pipes.
private struct Pair {
    let client: HTTP2Session
    let server: HTTP2Session
    let clientEvents = Recorder()
    let serverEvents = Recorder()

    init() throws {
        client = try HTTP2Session(role: .client)
        server = try HTTP2Session(role: .server)
        client.delegate = clientEvents
        server.delegate = serverEvents
        clientEvents.session = client
        serverEvents.session = server
    }

    /// Moves bytes both ways until neither side has anything to send, delivering them in
    /// pieces of `chunk` bytes (1 splits every frame at every byte).
    func pump(chunk: Int = .max) throws {
        for _ in 0..<10_000 {
            let toServer = output(of: client)
            let toClient = output(of: server)
            if toServer.isEmpty, toClient.isEmpty { return }
            try deliver(toServer, to: server, chunk: chunk)
            try deliver(toClient, to: client, chunk: chunk)
        }
        Issue.record("the sessions never went quiet")
    }

    private func output(of session: HTTP2Session) -> [UInt8] {
        var bytes: [UInt8] = []
        try? session.drainOutput { bytes.append(contentsOf: $0); return true }
        return bytes
    }

    private func deliver(_ bytes: [UInt8], to session: HTTP2Session, chunk: Int) throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try bytes[offset..<end].withUnsafeBytes { try session.receive($0) }
            offset = end
        }
    }
}

@Suite("HTTP2Session in memory")
struct HTTP2SessionInMemoryTests {
    private static let responseHeaders = HTTP2StaticHeaders([(":status", "200"), ("content-type", "application/grpc")])
    private static let okTrailers = HTTP2StaticHeaders([("grpc-status", "0")])

    @Test("a request and a response with body and trailers survive delivery one byte at a time")
    func byteByByte() throws {
        let pair = try Pair()
        let stream = try pair.client.request { block in
            for (name, value) in [(":method", "POST"), (":scheme", "http"), (":path", "/a.B/C"), (":authority", "x"),
                                  ("content-type", "application/grpc")] { block.add(name, value) }
        }
        let requestBody = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        requestBody.withUnsafeBytes { pair.client.sendData(streamID: stream, $0) }
        pair.client.finish(streamID: stream)
        try pair.pump(chunk: 1)

        #expect(pair.serverEvents.headers[stream]?[":path"] == "/a.B/C")
        #expect(pair.serverEvents.body[stream] == requestBody)
        #expect(pair.serverEvents.remoteEnded.contains(stream))

        try pair.server.respond(streamID: stream, headers: Self.responseHeaders,
                                body: { $0.append(contentsOf: [9, 8, 7]) }, trailers: Self.okTrailers)
        try pair.pump(chunk: 1)
        #expect(pair.clientEvents.headers[stream]?[":status"] == "200")
        #expect(pair.clientEvents.body[stream] == [9, 8, 7])
        #expect(pair.clientEvents.trailers[stream]?["grpc-status"] == "0")
        #expect(pair.clientEvents.closed[stream] == 0)
        #expect(pair.serverEvents.closed[stream] == 0)
    }

    @Test("a body larger than the window waits for the receiver to consume it, then completes")
    func flowControlFollowsConsumption() throws {
        let pair = try Pair()
        pair.serverEvents.consumeImmediately = false
        let stream = try pair.client.request { block in
            for (name, value) in [(":method", "POST"), (":scheme", "http"), (":path", "/a.B/C"), (":authority", "x")] {
                block.add(name, value)
            }
        }
        let size = 3 << 20  // three times the 1 MiB stream window
        let body = [UInt8](repeating: 0x42, count: size)
        body.withUnsafeBytes { pair.client.sendData(streamID: stream, $0) }
        pair.client.finish(streamID: stream)
        try pair.pump()
        // Nothing consumed yet: the sender stopped at the stream window.
        let firstBatch = pair.serverEvents.body[stream]?.count ?? 0
        #expect(firstBatch == 1 << 20, "received \(firstBatch) bytes before any window update")
        #expect(!pair.serverEvents.remoteEnded.contains(stream))
        // Take the bytes in steps; each step opens the window for more.
        var taken = 0
        for _ in 0..<100 where !pair.serverEvents.remoteEnded.contains(stream) {
            let available = (pair.serverEvents.body[stream]?.count ?? 0) - taken
            pair.server.consume(streamID: stream, count: available)
            taken += available
            try pair.pump()
        }
        #expect(pair.serverEvents.body[stream]?.count == size)
        #expect(pair.serverEvents.remoteEnded.contains(stream))
    }

    @Test("GOAWAY and PING reach the other side")
    func goAwayAndPing() throws {
        let pair = try Pair()
        try pair.pump()
        pair.client.ping(payload: 0x0102_0304_0506_0708)
        try pair.pump()
        #expect(pair.clientEvents.pingsAcknowledged == [0x0102_0304_0506_0708])
        // After a GOAWAY with an error code nghttp2 ends the session, so it comes last.
        pair.server.goAway(code: .enhanceYourCalm, lastStreamID: 0, debugData: "calm")
        try pair.pump()
        #expect(pair.clientEvents.goAway?.code == HTTP2ErrorCode.enhanceYourCalm.rawValue)
        #expect(pair.server.isTerminating)
    }

    @Test("garbage instead of a client preface is a protocol error, with nothing delivered")
    func badPreface() throws {
        let server = try HTTP2Session(role: .server)
        let events = Recorder()
        server.delegate = events
        let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let error = #expect(throws: HTTP2Error.self) { try garbage.withUnsafeBytes { try server.receive($0) } }
        #expect(error?.isBadPreface == true)
        #expect(events.headers.isEmpty)
        #expect(server.isTerminating)
    }
}
