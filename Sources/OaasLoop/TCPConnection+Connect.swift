internal import CLibUV

extension TCPConnection {
    /// Opens a connection to `address`.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for the handshake; then the attempt is abandoned and
    ///     `completion` gets `.timedOut`.
    ///   - completion: runs once on the loop thread with the connected connection or the error
    ///     (e.g. `.connectionRefused`, `.timedOut`).
    /// - Throws: `LoopError` if the attempt cannot even start (e.g. an unusable address).
    /// Loop thread only.
    public static func connect(
        loop: EventLoop, to address: SocketAddress, timeout: Duration = .seconds(10),
        completion: @escaping (Result<TCPConnection, LoopError>) -> Void
    ) throws(LoopError) {
        loop.preconditionInLoop()
        let connection = try TCPConnection(loop: loop)
        let attempt = ConnectAttempt(connection: connection, address: address, completion: completion)
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        oaas_set_req_data(request, Unmanaged.passRetained(attempt).toOpaque())
        let status = address.withSockAddr { sockaddr in
            uv_tcp_connect(request, oaas_as_tcp(connection.rawHandle), sockaddr) { request, status in
                let attempt = Unmanaged<ConnectAttempt>.fromOpaque(oaas_req_data(request!)!).takeRetainedValue()
                request!.deallocate()
                attempt.finished(status: status)
            }
        }
        guard status == 0 else {
            Unmanaged<ConnectAttempt>.fromOpaque(oaas_req_data(request)!).release()
            request.deallocate()
            connection.close()
            throw LoopError(uv: status, operation: "connect to \(address)")
        }
        attempt.timer = loop.schedule(after: timeout) { [unowned attempt] in attempt.timedOut() }
    }

    /// Opens a connection to `host:port`; see `connect(loop:to:timeout:completion:)`.
    ///
    /// The host must be an IP literal or `localhost`: this call never waits for a resolver.
    /// For names, `EventLoop.resolve(host:port:timeout:completion:)` first, then connect to the
    /// addresses it finds.
    /// - Throws: `LoopError` `.unresolvableHost` for any other host, `.invalidArgument` for a
    ///   bad port.
    /// Loop thread only.
    public static func connect(
        loop: EventLoop, host: String, port: Int, timeout: Duration = .seconds(10),
        completion: @escaping (Result<TCPConnection, LoopError>) -> Void
    ) throws(LoopError) {
        try connect(loop: loop, to: SocketAddress(host: host, port: port), timeout: timeout, completion: completion)
    }
}

/// One connection attempt: the handshake races a timeout timer.
private final class ConnectAttempt {
    let connection: TCPConnection
    let address: SocketAddress
    var completion: ((Result<TCPConnection, LoopError>) -> Void)?
    var timer: LoopTimer?
    var didTimeOut = false

    init(connection: TCPConnection, address: SocketAddress,
         completion: @escaping (Result<TCPConnection, LoopError>) -> Void) {
        self.connection = connection
        self.address = address
        self.completion = completion
    }

    func timedOut() {
        didTimeOut = true
        // Closing the handle cancels the pending connect; its callback reports the timeout.
        connection.close()
    }

    func finished(status: Int32) {
        timer?.close()
        timer = nil
        guard let completion else { return }
        self.completion = nil
        if didTimeOut {
            completion(.failure(LoopError(uv: UV_ETIMEDOUT.rawValue, operation: "connect to \(address)")))
        } else if status < 0 {
            connection.close()
            completion(.failure(LoopError(uv: status, operation: "connect to \(address)")))
        } else if connection.isClosing {
            completion(.failure(.connectionClosed("connect to \(address)")))
        } else {
            connection.disableNagle()
            completion(.success(connection))
        }
    }
}
