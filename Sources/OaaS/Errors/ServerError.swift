/// A server management call failed (the design's `ServerError`). Any thread.
public struct ServerError: OaasError, Equatable {
    /// Why.
    public enum Reason: Sendable, Equatable {
        /// `startServer` while a server is running (or starting).
        case alreadyRunning
        /// `stopServer` while none is running.
        case notRunning
        /// The server could not start, e.g. the port is taken; it is not running.
        case startFailed(cause: String)
        /// The server could not stop cleanly; it is stopped anyway.
        case stopFailed(cause: String)
    }

    /// Why the call failed.
    public let reason: Reason

    /// Makes the error for `reason`.
    public init(_ reason: Reason) { self.reason = reason }

    public var code: String {
        switch reason {
        case .alreadyRunning: "SERVER_ALREADY_RUNNING"
        case .notRunning: "SERVER_NOT_RUNNING"
        case .startFailed: "SERVER_START_FAILED"
        case .stopFailed: "SERVER_STOP_FAILED"
        }
    }

    /// The design's texts: "gRPC server is already running", "gRPC server is not running",
    /// "Failed to start gRPC server: <cause>", "Failed to stop gRPC server: <cause>".
    public var message: String {
        switch reason {
        case .alreadyRunning: "gRPC server is already running"
        case .notRunning: "gRPC server is not running"
        case .startFailed(let cause): "Failed to start gRPC server: \(cause)"
        case .stopFailed(let cause): "Failed to stop gRPC server: \(cause)"
        }
    }
}
