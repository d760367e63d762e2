internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// A listening TCP socket that hands each accepted connection to `onAccept`.
///
/// Accepted connections have Nagle's algorithm off and are not reading yet: set their
/// callbacks, then call `startReading()`.
///
/// Loop-confined: every member is for the loop thread only.
public final class TCPListener: LoopHandle {
    /// The address really bound: with port 0, the port the kernel chose.
    public private(set) var address: SocketAddress
    /// Shorthand for `address.port`.
    public var port: Int { address.port }
    /// Called with each accepted connection.
    public var onAccept: ((TCPConnection) -> Void)?
    /// Called when accepting fails (e.g. `.tooManyOpenFiles`); the listener keeps listening.
    public var onAcceptError: ((LoopError) -> Void)?
    /// Connections accepted so far.
    public private(set) var acceptedCount = 0

    private init(loop: EventLoop, requested: SocketAddress) throws(LoopError) {
        address = requested
        super.init(loop: loop, type: UV_TCP)
        let status = uv_tcp_init(loop.uvLoop, oaas_as_tcp(rawHandle))
        guard status == 0 else {
            discardUninitialisedHandle()
            throw LoopError(uv: status, operation: "uv_tcp_init")
        }
        adoptInitialisedHandle()
    }

    /// Binds `host:port` and starts listening.
    ///
    /// - Parameters:
    ///   - port: 0 lets the kernel choose; read the result from `port`.
    ///   - backlog: the kernel's queue of connections not yet accepted.
    ///   - onAccept: receives each new connection.
    /// - Throws: `LoopError`: `.addressInUse`, `.permissionDenied` (a privileged port),
    ///   `.addressNotAvailable` (an address not on this machine), `.unresolvableHost` or
    ///   `.invalidArgument` for a malformed host or port.
    /// Loop thread only.
    public static func listen(
        loop: EventLoop, host: String, port: Int, backlog: Int32 = 1024,
        onAccept: @escaping (TCPConnection) -> Void
    ) throws(LoopError) -> TCPListener {
        loop.preconditionInLoop()
        let requested = try SocketAddress(host: host, port: port)
        let listener = try TCPListener(loop: loop, requested: requested)
        do {
            try listener.bindAndListen(backlog: backlog)
        } catch {
            listener.close()
            throw error
        }
        listener.onAccept = onAccept
        return listener
    }

    private func bindAndListen(backlog: Int32) throws(LoopError) {
        let requested = address
        // libuv may defer a bind error (EADDRINUSE) until listen, so both results are checked.
        let bindStatus = requested.withSockAddr { uv_tcp_bind(oaas_as_tcp(rawHandle), $0, 0) }
        try uvCheck(bindStatus, "bind \(requested)")
        let listenStatus = uv_listen(oaas_as_stream(rawHandle), backlog) { server, status in
            LoopHandle.owner(of: server!, as: TCPListener.self).incoming(status: status)
        }
        try uvCheck(listenStatus, "listen on \(requested)")
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let nameStatus = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(oaas_as_tcp(rawHandle), $0, &length) }
        }
        try uvCheck(nameStatus, "read the address bound for \(requested)")
        if let bound = SocketAddress(storage: &storage) { address = bound }
    }

    private func incoming(status: Int32) {
        guard status == 0 else {
            onAcceptError?(LoopError(uv: status, operation: "accept on \(address)"))
            return
        }
        let connection: TCPConnection
        do {
            connection = try TCPConnection(loop: loop)
        } catch {
            onAcceptError?(error)
            return
        }
        let accepted = uv_accept(oaas_as_stream(rawHandle), connection.stream)
        guard accepted == 0 else {
            connection.close()
            onAcceptError?(LoopError(uv: accepted, operation: "accept on \(address)"))
            return
        }
        acceptedCount += 1
        connection.disableNagle()
        if let onAccept {
            onAccept(connection)
        } else {
            connection.close()
        }
    }

    override func didClose() {
        onAccept = nil
        onAcceptError = nil
    }
}
