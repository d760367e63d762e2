import OaasLoop

/// A message bus agents serve keys on and callers send requests through: the embedded
/// in-process ``EmbeddedBus`` or a ``NATSClient``.
///
/// Keys are the platform's (`oprc/{package}.{Class}/{partition}/...`, see ``BusKey``); the
/// bus maps them to its own addressing. Several servers of one key form a queue group: each
/// request goes to exactly one of them.
///
/// Loop-confined: call every member on ``loop``'s thread; callbacks run there too.
public protocol Bus: AnyObject {
    /// The loop the bus runs on.
    var loop: EventLoop { get }

    /// Starts serving `key`: each request for it that this server is picked for goes to
    /// `handler`. `ready` runs once: with the subscription when the bus has confirmed it (so a
    /// request sent after `ready` reaches this server or another of the group), or with the
    /// error that prevented it.
    func serve(key: String, handler: @escaping (BusRequest) -> Void,
               ready: @escaping (Result<BusSubscription, BusError>) -> Void)

    /// Stops serving a subscription. Requests already handed to the handler can still be
    /// answered. Unknown or already stopped subscriptions are ignored.
    func stopServing(_ subscription: BusSubscription)

    /// Stops serving a subscription and calls `completion` once no further request will be
    /// delivered for it (NATS: once the server has confirmed the UNSUB; requests that arrive
    /// before then are still delivered, so none is lost in between).
    func stopServing(_ subscription: BusSubscription, completion: @escaping () -> Void)

    /// Sends `payload` to one server of `key` and calls `completion` once with its reply, or
    /// with ``BusError`` (`.timedOut` after `timeout`, `.noResponders` when nobody serves the
    /// key and the bus can tell, `.payloadTooLarge`, `.closed`, ...).
    func request(key: String, payload: [UInt8], timeout: Duration,
                 completion: @escaping (Result<[UInt8], BusError>) -> Void)

    /// Stops every subscription, fails pending requests with `.closed`, releases the bus's
    /// handles, then calls `completion`. Idempotent.
    func close(completion: @escaping () -> Void)
}

extension Bus {
    /// For buses that stop delivering the moment ``stopServing(_:)`` returns.
    public func stopServing(_ subscription: BusSubscription, completion: @escaping () -> Void) {
        stopServing(subscription)
        completion()
    }
}

/// One served key on a bus, as returned by ``Bus/serve(key:handler:ready:)``. Any thread.
public struct BusSubscription: Hashable, Sendable, CustomStringConvertible {
    /// Unique among the subscriptions of one bus.
    public let id: UInt64
    /// The key served.
    public let key: String

    public init(id: UInt64, key: String) {
        self.id = id
        self.key = key
    }

    public var description: String { "#\(id) \(key)" }
}

/// A request delivered to a server of a key. Loop-confined.
public struct BusRequest {
    /// The key the request was sent to.
    public let key: String
    /// The request's bytes.
    public let payload: [UInt8]
    /// The largest reply the bus can carry back (NATS: the server's `max_payload`); a server
    /// answers a larger result with a short error reply instead.
    public let replyLimit: Int
    private let responder: ([UInt8]) -> Void

    /// Makes a request whose ``reply(_:)`` calls `responder`. For bus implementations.
    public init(key: String, payload: [UInt8], replyLimit: Int = .max, responder: @escaping ([UInt8]) -> Void) {
        self.key = key
        self.payload = payload
        self.replyLimit = replyLimit
        self.responder = responder
    }

    /// Sends the reply to the requester. Call it at most once, on the bus's loop thread. A
    /// request whose requester is gone (timed out, disconnected) drops the reply, and so does
    /// one larger than ``replyLimit`` (the bus logs it).
    public func reply(_ bytes: [UInt8]) {
        responder(bytes)
    }
}
