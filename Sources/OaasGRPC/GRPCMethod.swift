/// A registered method and how it is served.
///
/// Loop-confined.
public enum GRPCMethod {
    /// Exactly one request message, one response: the handler gets the message.
    case unary((GRPCServerCall, [UInt8]) -> Void)
    /// Any number of request and response messages: the handler sets `onMessage` /
    /// `onRequestEnd` on the call and answers with `send` and `finish`.
    case streaming((GRPCServerCall) -> Void)
}
