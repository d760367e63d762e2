/// One operation a NATS server sent, as ``NATSParser`` reads it off the wire.
///
/// A plain value; any thread may hold it (the client handles it on its loop's thread).
enum NATSServerOp: Equatable {
    /// `INFO`: the server's identity and limits. First on every connection, and again when the
    /// cluster's membership or the server's lame-duck state changes.
    case info(NATSServerInfo)
    /// `MSG` or `HMSG`: a message for one of our subscriptions.
    case message(NATSMessage)
    /// `PING`: the server checks we are alive; answer with `PONG`.
    case ping
    /// `PONG`: the answer to one of our `PING`s (the client also uses one as a flush barrier).
    case pong
    /// `+OK`: only sent in verbose mode, which the client does not ask for.
    case ok
    /// `-ERR`: the server's error text without the surrounding single quotes. Most errors are
    /// followed by the server closing the connection; a few (permission violations) are not.
    case error(String)
}
