/// The reply to a raw request (``NATSClient/request(subject:headers:payload:timeout:completion:)``):
/// its status line, header fields and payload, as the server delivered them.
///
/// Status replies are replies, not errors: JetStream, for one, answers a direct get of an
/// absent message with `404 Message Not Found`, and the caller decides what that means.
/// A plain value; any thread.
public struct NATSReply: Sendable, Equatable {
    /// The code on the header block's first line (`NATS/1.0 404 ...`); nil for a reply
    /// without headers or without a code.
    public let status: Int?
    /// The text after the status code, nil when there is none.
    public let statusDescription: String?
    /// The header fields in the order they came; empty for a reply without headers.
    public let headers: [NATSHeader]
    /// The reply's bytes, without the header block.
    public let payload: [UInt8]

    /// A reply; made by the client, or by tests. Any thread.
    public init(status: Int? = nil, statusDescription: String? = nil, headers: [NATSHeader] = [], payload: [UInt8] = []) {
        self.status = status
        self.statusDescription = statusDescription
        self.headers = headers
        self.payload = payload
    }

    /// The value of the first header field called `name`, compared ignoring ASCII case; nil
    /// when there is none. Any thread.
    public func header(_ name: String) -> String? {
        for field in headers where NATSHeader.namesMatch(field.name, name) { return field.value }
        return nil
    }
}
