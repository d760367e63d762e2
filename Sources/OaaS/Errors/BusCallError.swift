import OaasBus

/// A call through the message bus got no usable reply. Any thread.
///
/// An answer the agent gave, including an application error, is not a `BusCallError`: it is
/// the returned `InvocationResponse` with its status.
public struct BusCallError: OaasError, Equatable {
    /// Why.
    public enum Reason: Sendable, Equatable {
        /// No reply within the call's timeout.
        case timedOut(Duration)
        /// No agent serves the key.
        case noAgent(key: String)
        /// The bus is not reachable or refused the call (closed, credentials, payload limit).
        case busUnavailable(cause: String)
        /// The reply was not an `InvocationResponse`.
        case invalidReply(cause: String)
        /// The call cannot be addressed (e.g. an object id the keys cannot carry).
        case invalidCall(cause: String)
    }

    /// Why the call failed.
    public let reason: Reason
    /// The bus key called.
    public let key: String

    /// Makes the error for a call of `key`.
    public init(_ reason: Reason, key: String) {
        self.reason = reason
        self.key = key
    }

    init(_ error: BusError, key: String) {
        switch error.kind {
        case .timedOut(let timeout): self.init(.timedOut(timeout), key: key)
        case .noResponders: self.init(.noAgent(key: key), key: key)
        case .invalidKey(let reason): self.init(.invalidCall(cause: reason), key: key)
        case .payloadTooLarge, .connectionFailed, .authorizationFailed, .protocolError, .closed:
            self.init(.busUnavailable(cause: error.description), key: key)
        }
    }

    public var code: String {
        switch reason {
        case .timedOut: "BUS_CALL_TIMED_OUT"
        case .noAgent: "BUS_NO_AGENT"
        case .busUnavailable: "BUS_UNAVAILABLE"
        case .invalidReply: "BUS_INVALID_REPLY"
        case .invalidCall: "BUS_INVALID_CALL"
        }
    }

    public var message: String {
        switch reason {
        case .timedOut(let timeout): "no reply from \(key) within \(timeout)"
        case .noAgent: "no agent serves \(key)"
        case .busUnavailable(let cause): "cannot call \(key): \(cause)"
        case .invalidReply(let cause): "the reply from \(key) is not an InvocationResponse: \(cause)"
        case .invalidCall(let cause): "cannot call \(key): \(cause)"
        }
    }
}
