/// Why a bus operation failed. Any thread.
public struct BusError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, with the details a person needs.
    public enum Kind: Equatable, Sendable {
        /// No reply arrived within the request's timeout.
        case timedOut(Duration)
        /// Nobody serves the key (the bus knows it at once, instead of waiting for the timeout).
        case noResponders
        /// The message is larger than the bus accepts (NATS: the server's `max_payload`).
        case payloadTooLarge(size: Int, limit: Int)
        /// The bus could not reach any of its servers.
        case connectionFailed(String)
        /// The server refused our credentials or a permission.
        case authorizationFailed(String)
        /// The server broke the protocol or reported an error.
        case protocolError(String)
        /// The bus is closed (or closing).
        case closed
        /// The key cannot be used on this bus.
        case invalidKey(String)
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .timedOut(let timeout): "no reply within \(timeout)"
        case .noResponders: "no agent serves this key"
        case .payloadTooLarge(let size, let limit): "message of \(size) bytes exceeds the bus limit of \(limit) bytes"
        case .connectionFailed(let reason): "cannot reach the message bus: \(reason)"
        case .authorizationFailed(let reason): "the message bus refused the credentials: \(reason)"
        case .protocolError(let reason): "message bus protocol error: \(reason)"
        case .closed: "the message bus is closed"
        case .invalidKey(let reason): "invalid bus key: \(reason)"
        }
    }
}
