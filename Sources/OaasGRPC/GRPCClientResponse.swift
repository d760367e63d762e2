/// How a unary call ended, as the client saw it.
///
/// Any thread (a plain value).
public struct GRPCClientResponse: Sendable {
    /// The call's status (from `grpc-status`, or derived from HTTP/2 when the server sent none).
    public let status: GRPCStatus
    /// The response message, when the server sent one.
    public let message: [UInt8]?
    /// Response headers and trailers that are not pseudo-headers or `grpc-status`/`grpc-message`.
    public let metadata: [(name: String, value: String)]

    /// The message when the status is OK.
    /// - Throws: the status when it is not OK, or `.internal` when OK came without a message.
    public func get() throws(GRPCStatus) -> [UInt8] {
        guard status.code == .ok else { throw status }
        guard let message else { throw GRPCStatus(.internal, "the server sent status OK without a message") }
        return message
    }
}
