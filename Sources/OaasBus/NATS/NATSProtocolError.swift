/// The NATS server sent bytes that break the client protocol (or a value the client cannot
/// accept), so the connection cannot go on: the client drops it and reconnects with a fresh
/// ``NATSParser``.
///
/// A plain value; any thread.
struct NATSProtocolError: Error, Equatable, CustomStringConvertible {
    /// What was wrong, phrased for a log line.
    let reason: String

    init(reason: String) {
        self.reason = reason
    }

    init(_ reason: String) {
        self.reason = reason
    }

    var description: String { "NATS protocol error: \(reason)" }
}
