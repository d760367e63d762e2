/// A message the server delivered for one of our subscriptions (`MSG`, or `HMSG` when it
/// carries headers).
///
/// A plain value; any thread may hold it (the client handles it on its loop's thread).
struct NATSMessage: Equatable {
    /// The subject it was published to.
    var subject: String
    /// The subscription it was delivered for.
    var sid: UInt64
    /// Where the publisher wants a reply, if anywhere.
    var replyTo: String?
    /// `HMSG` only: the code on the header block's first line (`NATS/1.0 503` means nobody
    /// serves the subject of a request). Nil when the line has no code, and for `MSG`.
    var status: Int?
    /// `HMSG` only: the text after the status code (`No Responders`), nil when there is none.
    var statusDescription: String?
    /// `HMSG` only: the header fields in the order they came; empty for `MSG`.
    var headers: [NATSHeader]
    /// The message's bytes, without the header block.
    var payload: [UInt8]

    init(subject: String, sid: UInt64, replyTo: String? = nil, status: Int? = nil,
         statusDescription: String? = nil, headers: [NATSHeader] = [],
         payload: [UInt8] = []) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.status = status
        self.statusDescription = statusDescription
        self.headers = headers
        self.payload = payload
    }

    /// True for the server's "no responders" answer to a request: status 503 and no payload.
    /// The server sends it instead of letting the request time out when the connection asked
    /// for `no_responders` (and `headers`) in `CONNECT`.
    var isNoResponders: Bool { status == 503 && payload.isEmpty }
}
