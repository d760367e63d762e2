import OaasHTTP2
import OaasLoop

/// A gRPC client on an event loop: unary calls with deadlines and metadata, many calls
/// multiplexed on one HTTP/2 connection.
///
/// The connection opens on the first call. When the server sends GOAWAY, calls it did not
/// process are retried on a new connection, and new calls go there too.
///
/// Loop-confined: create and use the client on its loop's thread.
public final class GRPCClient {
    public let loop: EventLoop
    /// The server's host: an IP literal, `localhost`, or a name looked up when a connection
    /// opens (so a server that moves is found again by the next connection).
    public let host: String
    public let port: Int
    /// `:authority` of every call: `host:port`, IPv6 literals in brackets.
    let authority: String
    /// How long to wait for the TCP handshake.
    public var connectTimeout: Duration = .seconds(5)
    /// Largest response message accepted.
    public var maxReceiveMessageBytes = 4 << 20
    /// HTTP/2 settings for new connections.
    public var http2 = HTTP2Settings()

    private var current: GRPCClientConnection?
    private var retiring: [ObjectIdentifier: GRPCClientConnection] = [:]
    private var isClosed = false

    /// - Throws: `LoopError` `.invalidArgument` for an empty host or a port outside 1...65535.
    ///   A name that does not resolve fails the calls instead (`UNAVAILABLE`), when the
    ///   connection opens.
    /// Loop thread only.
    public init(loop: EventLoop, host: String, port: Int) throws(LoopError) {
        loop.preconditionInLoop()
        guard !host.isEmpty, (1...65535).contains(port) else {
            throw LoopError(code: .invalidArgument, name: "EINVAL", message: "no server at '\(host)' port \(port)",
                            operation: "make a gRPC client")
        }
        self.loop = loop
        self.host = host
        self.port = port
        authority = (try? SocketAddress(host: host, port: port))?.description ?? "\(host):\(port)"
    }

    /// Calls a unary method.
    ///
    /// - Parameters:
    ///   - path: `/package.Service/Method`.
    ///   - request: the serialized request message.
    ///   - metadata: extra request headers (lower-case names).
    ///   - timeout: sent as `grpc-timeout`; the call also ends locally with
    ///     `DEADLINE_EXCEEDED` when it passes.
    ///   - completion: runs once on the loop thread.
    /// Loop thread only.
    public func unary(_ path: String, request: [UInt8], metadata: [(String, String)] = [],
                      timeout: Duration? = nil, completion: @escaping (GRPCClientResponse) -> Void) {
        loop.preconditionInLoop()
        let call = GRPCClientCall(path: path, request: request, metadata: metadata, timeout: timeout,
                                  maxMessageBytes: maxReceiveMessageBytes, completion: completion)
        guard !isClosed else {
            return call.complete(GRPCStatus(.unavailable, "the client is closed"))
        }
        if let timeout {
            call.deadlineTimer = loop.schedule(after: timeout) { [unowned call] in
                call.deadlineTimer = nil
                call.expire()
            }
        }
        dispatch(call)
    }

    func dispatch(_ call: GRPCClientCall) {
        guard !call.isCompleted else { return }
        let connection: GRPCClientConnection
        if let current, current.acceptsNewCalls {
            connection = current
        } else {
            if let current { retire(current) }
            connection = GRPCClientConnection(client: self)
            current = connection
            connection.connect()
        }
        connection.start(call)
    }

    func connectionGotGoAway(_ connection: GRPCClientConnection) {
        if current === connection {
            current = nil
            retire(connection)
        }
    }

    func connectionDidClose(_ connection: GRPCClientConnection) {
        if current === connection { current = nil }
        retiring[ObjectIdentifier(connection)] = nil
        if isClosed, current == nil, retiring.isEmpty { closeCompletions() }
    }

    private func retire(_ connection: GRPCClientConnection) {
        retiring[ObjectIdentifier(connection)] = connection
        connection.closeWhenIdle()
    }

    private var pendingCloseCompletions: [() -> Void] = []

    /// Closes the connections once their calls have finished; new calls fail with
    /// `UNAVAILABLE`. Loop thread only.
    public func close(completion: (() -> Void)? = nil) {
        loop.preconditionInLoop()
        if let completion { pendingCloseCompletions.append(completion) }
        isClosed = true
        if let current {
            self.current = nil
            retire(current)
        }
        if retiring.isEmpty { closeCompletions() }
    }

    private func closeCompletions() {
        let completions = pendingCloseCompletions
        pendingCloseCompletions = []
        for completion in completions { completion() }
    }
}

/// One unary call in flight on the client. Loop-confined.
final class GRPCClientCall {
    let path: String
    let request: [UInt8]
    let metadata: [(String, String)]
    let timeout: Duration?
    var reader: GRPCMessageReader
    var completion: ((GRPCClientResponse) -> Void)?
    var deadlineTimer: LoopTimer?
    var streamID: Int32 = 0
    /// Connections this call has been started on (a GOAWAY can move it once).
    var attempts = 1
    weak var connection: GRPCClientConnection?

    var httpStatus = ""
    var grpcStatus: Int?
    var grpcMessage = ""
    var message: [UInt8]?
    var responseMetadata: [(name: String, value: String)] = []
    var decodeError: GRPCStatus?

    init(path: String, request: [UInt8], metadata: [(String, String)], timeout: Duration?, maxMessageBytes: Int,
         completion: @escaping (GRPCClientResponse) -> Void) {
        self.path = path
        self.request = request
        self.metadata = metadata
        self.timeout = timeout
        self.reader = GRPCMessageReader(maxMessageBytes: maxMessageBytes)
        self.completion = completion
    }

    var isCompleted: Bool { completion == nil }

    func complete(_ status: GRPCStatus) {
        guard let completion else { return }
        self.completion = nil
        deadlineTimer?.close()
        deadlineTimer = nil
        completion(GRPCClientResponse(status: status, message: status.code == .ok ? message : nil,
                                      metadata: responseMetadata))
    }

    func expire() {
        connection?.cancel(self)
        complete(GRPCStatus(.deadlineExceeded, "the call's deadline passed"))
    }
}
