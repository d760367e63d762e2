internal import CLibUV

/// An error from the event loop or one of its handles.
///
/// Errors reported by libuv carry libuv's own name (`EADDRINUSE`) and message
/// ("address already in use") together with the operation that failed, so a person reading the
/// text knows what was attempted and why it failed. Errors raised by this module itself
/// (a door used after shutdown, a full write buffer) have codes of their own outside libuv's
/// range. Values compare by code only, so tests and callers can match on `LoopError.Code`.
///
/// Safe to create and read on any thread.
public struct LoopError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    ///
    /// libuv codes are negative errno-style numbers; this module's own codes are positive.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let addressInUse = Code(rawValue: UV_EADDRINUSE.rawValue)
        public static let addressNotAvailable = Code(rawValue: UV_EADDRNOTAVAIL.rawValue)
        public static let permissionDenied = Code(rawValue: UV_EACCES.rawValue)
        public static let invalidArgument = Code(rawValue: UV_EINVAL.rawValue)
        public static let connectionRefused = Code(rawValue: UV_ECONNREFUSED.rawValue)
        public static let connectionReset = Code(rawValue: UV_ECONNRESET.rawValue)
        public static let brokenPipe = Code(rawValue: UV_EPIPE.rawValue)
        public static let timedOut = Code(rawValue: UV_ETIMEDOUT.rawValue)
        public static let cancelled = Code(rawValue: UV_ECANCELED.rawValue)
        public static let endOfFile = Code(rawValue: UV_EOF.rawValue)
        public static let tooManyOpenFiles = Code(rawValue: UV_EMFILE.rawValue)

        /// The loop has begun shutting down and takes no new work.
        public static let loopShutDown = Code(rawValue: 1)
        /// The connection was closed (or its write side shut down) before the operation.
        public static let connectionClosed = Code(rawValue: 2)
        /// A write would take the connection's buffered bytes past its hard limit.
        public static let writeBufferFull = Code(rawValue: 3)
        /// A host name where only an IP literal or `localhost` is accepted (`SocketAddress`,
        /// listening); names are resolved with `EventLoop.resolve`.
        public static let unresolvableHost = Code(rawValue: 4)
        /// The operation is not valid in the loop's current mode or state.
        public static let wrongState = Code(rawValue: 5)
        /// The resolver answered that the name has no address: it does not exist (NXDOMAIN,
        /// `EAI_NONAME`), or exists without an address of a usable family (`EAI_NODATA`,
        /// `EAI_ADDRFAMILY`). The error's `name` keeps the resolver's own code.
        public static let hostNotFound = Code(rawValue: 6)
        /// The resolver could not get an answer now (`EAI_AGAIN`: no name server reachable, or
        /// one that timed out); the same lookup may succeed later.
        public static let nameServerUnavailable = Code(rawValue: UV_EAI_AGAIN.rawValue)
    }

    /// What kind of failure this is.
    public let code: Code
    /// libuv's short name for the code (`ECONNREFUSED`), or this module's (`LOOP_SHUT_DOWN`).
    public let name: String
    /// A sentence a person can act on.
    public let message: String
    /// What was being attempted, e.g. `bind 127.0.0.1:8080`.
    public let operation: String

    public init(code: Code, name: String, message: String, operation: String) {
        self.code = code
        self.name = name
        self.message = message
        self.operation = operation
    }

    public var description: String { "\(operation): \(message) (\(name))" }

    /// The error for a negative libuv return code.
    init(uv status: Int32, operation: String) {
        self.init(
            code: Code(rawValue: status),
            name: String(cString: uv_err_name(status)),
            message: String(cString: uv_strerror(status)),
            operation: operation
        )
    }

    /// The error for a failed `uv_getaddrinfo` (libuv's `UV_EAI_*` codes): the answers that
    /// mean "this name has no address" share `.hostNotFound`, so callers need not know the
    /// resolver's variants; the resolver's own name stays in `name`.
    init(resolver status: Int32, operation: String) {
        let name = String(cString: uv_err_name(status))
        switch status {
        case UV_EAI_NONAME.rawValue, UV_EAI_NODATA.rawValue, UV_EAI_ADDRFAMILY.rawValue:
            self.init(code: .hostNotFound, name: name,
                      message: "unknown host: the resolver found no IPv4 or IPv6 address for it", operation: operation)
        case UV_EAI_AGAIN.rawValue:
            self.init(code: .nameServerUnavailable, name: name,
                      message: "no answer from the name server (a temporary failure; it may work later)",
                      operation: operation)
        case UV_EAI_CANCELED.rawValue:
            self.init(code: .cancelled, name: name, message: "the lookup was cancelled", operation: operation)
        default:
            self.init(uv: status, operation: operation)
        }
    }

    static func loopShutDown(_ operation: String) -> LoopError {
        LoopError(code: .loopShutDown, name: "LOOP_SHUT_DOWN",
                  message: "the event loop is shutting down and accepts no new work", operation: operation)
    }

    static func connectionClosed(_ operation: String) -> LoopError {
        LoopError(code: .connectionClosed, name: "CONNECTION_CLOSED",
                  message: "the connection is closed for writing", operation: operation)
    }

    static func wrongState(_ operation: String, _ message: String) -> LoopError {
        LoopError(code: .wrongState, name: "WRONG_STATE", message: message, operation: operation)
    }
}

extension LoopError: Equatable {
    public static func == (lhs: LoopError, rhs: LoopError) -> Bool { lhs.code == rhs.code }
}

/// Turns a libuv return code into a thrown `LoopError`; the one place this module does so.
@inline(__always)
func uvCheck(_ status: Int32, _ operation: @autoclosure () -> String) throws(LoopError) {
    if status < 0 { throw LoopError(uv: status, operation: operation()) }
}
