/// What the client tells the server about itself in `CONNECT`, written by
/// ``NATSCommand/connect(_:into:)``.
///
/// A plain value; any thread.
struct NATSConnectOptions {
    /// Ask for `+OK` after every command; off, because it doubles the traffic for nothing the
    /// client needs.
    var verbose = false
    /// Ask the server for stricter checks of our commands.
    var pedantic = false
    /// A name for this connection in the server's monitoring.
    var name: String? = nil
    var lang = "swift"
    var version = "0.1.0"
    /// 1: the server may send cluster updates in `INFO`.
    var protocolVersion = 1
    /// Accept `HMSG`; needed for `noResponders`.
    var headers = true
    /// Ask for an immediate 503 answer to a request nobody serves, instead of a timeout. The
    /// server refuses it unless `headers` is on too.
    var noResponders = true
    /// Deliver our own publications to our own matching subscriptions.
    var echo = true
    var authToken: String? = nil
    var user: String? = nil
    var password: String? = nil
}
