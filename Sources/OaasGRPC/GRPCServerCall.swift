import OaasLoop

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// One call (one HTTP/2 stream) on the server, as its handler sees it.
///
/// A unary handler gets the request message and ends the call with `respond(_:)` or
/// `fail(_:)`, now or later (after a timer, a bus reply...). A streaming handler reads with
/// `onMessage` / `onRequestEnd`, writes with `send(_:)` and ends with `finish(_:)`. Once a call
/// has ended, further responses are ignored. `onCancel` runs if the call ends any other way:
/// the client reset the stream, the deadline passed, or the connection went away.
///
/// Loop-confined: every member is for the loop thread only.
public final class GRPCServerCall {
    /// `/package.Service/Method`.
    public var path: String { route?.path ?? unroutedPath }
    /// The path of a request that matched no route, kept for the error message.
    @exclusivity(unchecked) var unroutedPath = ""
    /// Request metadata: every header that is not a pseudo-header or reserved by gRPC,
    /// in arrival order. Values of `-bin` keys are as sent (base64). Made on first use from
    /// the packed bytes kept while the headers arrived.
    public var metadata: [(name: String, value: String)] { packedMetadata.fields }

    @exclusivity(unchecked) private var packedMetadata = PackedMetadata()

    func appendMetadata(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        packedMetadata.append(name: name, value: value)
    }
    /// The deadline on the loop's millisecond clock, from `grpc-timeout`; nil for none.
    @exclusivity(unchecked) public internal(set) var deadline: UInt64?
    /// True once the call ended without a response of ours (reset, deadline, disconnect).
    @exclusivity(unchecked) public private(set) var isCancelled = false
    /// True once the call has ended, one way or another.
    public var isFinished: Bool { state == .finished }
    /// Runs once if the call is cancelled; handlers stop their work here.
    @exclusivity(unchecked) public var onCancel: ((GRPCStatus) -> Void)?
    /// Streaming requests: each message, as it completes.
    @exclusivity(unchecked) public var onMessage: (([UInt8]) -> Void)?
    /// Streaming requests: the client finished sending.
    @exclusivity(unchecked) public var onRequestEnd: (() -> Void)?

    enum State { case receiving, headersSent, finished }
    @exclusivity(unchecked) var state = State.receiving
    let streamID: Int32
    unowned let connection: GRPCServerConnection

    // Request decoding state, filled by the connection.
    @exclusivity(unchecked) var reader: GRPCMessageReader
    @exclusivity(unchecked) var requestEncoding = GRPCCompression.Encoding.identity
    @exclusivity(unchecked) var unaryMessage: [UInt8]?
    @exclusivity(unchecked) var messageCount = 0
    @exclusivity(unchecked) var headerBytes = 0
    @exclusivity(unchecked) var method: GRPCMethod?
    @exclusivity(unchecked) var isStreaming = false
    @exclusivity(unchecked) var route: GRPCRoute?
    @exclusivity(unchecked) var deadlineTimer: LoopTimer?
    @exclusivity(unchecked) var isPost = false
    @exclusivity(unchecked) var hasGRPCContentType = false
    @exclusivity(unchecked) var malformedTimeout = false
    @exclusivity(unchecked) var unsupportedEncoding: String?
    @exclusivity(unchecked) var headersTooLarge = false

    init(streamID: Int32, connection: GRPCServerConnection, maxMessageBytes: Int) {
        self.streamID = streamID
        self.connection = connection
        self.reader = GRPCMessageReader(maxMessageBytes: maxMessageBytes)
    }

    /// Ends a unary call with its response message and status OK.
    public func respond(_ message: [UInt8]) {
        message.withUnsafeBytes { respond(bytes: $0) }
    }

    /// Ends a unary call with its response message (copied) and status OK.
    public func respond(bytes message: UnsafeRawBufferPointer) {
        guard state != .finished else { return }
        connection.sendResponse(self, message: message)
    }

    /// Ends the call with `status`. With no message sent yet this is a Trailers-Only response.
    public func fail(_ status: GRPCStatus) {
        finish(status)
    }

    /// Streaming: sends one response message (headers go first, once).
    public func send(_ message: [UInt8]) {
        guard state != .finished else { return }
        message.withUnsafeBytes { connection.sendMessage(self, message: $0) }
    }

    /// Ends the call with `status` (trailers after any messages sent).
    public func finish(_ status: GRPCStatus) {
        guard state != .finished else { return }
        connection.sendStatus(self, status)
    }

    /// Marks the call ended by something other than a response; tells the handler once.
    func cancel(_ status: GRPCStatus) {
        guard state != .finished else { return }
        state = .finished
        isCancelled = true
        deadlineTimer?.close()
        deadlineTimer = nil
        let handler = onCancel
        releaseCallbacks()
        handler?(status)
    }

    /// Ends the call with `status` sent to the client, then tells the handler (deadline).
    func expire(_ status: GRPCStatus) {
        guard state != .finished else { return }
        let handler = onCancel
        connection.sendStatus(self, status)
        isCancelled = true
        handler?(status)
    }

    func releaseCallbacks() {
        onCancel = nil
        onMessage = nil
        onRequestEnd = nil
    }
}
