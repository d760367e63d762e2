import OaasLoop

/// The in-process bus: agents and callers of one process meet here with no network and no
/// serialization beyond the request bytes themselves. The runtime's default, and what mock
/// mode uses.
///
/// Several servers of one key share its requests round-robin (queue-group semantics); a
/// served pattern (a key with a ``BusKey/anyObject`` segment) joins the group of every key it
/// matches, as a NATS wildcard subscription in the same queue group does. A request for a key
/// nobody serves fails at once with `.noResponders`. A handler that answers
/// inside its call answers the request before ``request(key:payload:timeout:completion:)``
/// returns; one that answers later is bounded by the request's timeout, after which its reply
/// is dropped.
///
/// Loop-confined: every member is for ``loop``'s thread.
public final class EmbeddedBus: Bus {
    public let loop: EventLoop

    private struct Server {
        let subscription: BusSubscription
        let handler: (BusRequest) -> Void
    }

    /// The servers of one key or pattern, and the turn of the next request.
    private final class ServerGroup {
        var members: [Server] = []
        var turn = 0

        func take() -> Server {
            let server = members[turn % members.count]
            turn &+= 1
            return server
        }
    }

    /// The servers of each exact key.
    private var groups: [String: ServerGroup] = [:]
    /// The servers of each pattern.
    private var patternGroups: [String: ServerGroup] = [:]
    /// The turn for requests matched by several groups at once.
    private var mixedTurn = 0
    private var nextSubscriptionID: UInt64 = 1
    private var isClosed = false
    /// Requests waiting for a late reply, so `close()` can fail them.
    private var waiting: [UInt64: PendingRequest] = [:]
    private var nextRequestID: UInt64 = 1

    /// Creates an empty bus on `loop`. Any thread (it touches nothing until used).
    public init(loop: EventLoop) {
        self.loop = loop
    }

    /// The keys served now, with how many servers each has. Loop thread only.
    public var servedKeys: [String: Int] {
        groups.merging(patternGroups) { first, _ in first }.mapValues(\.members.count)
    }

    public func serve(key: String, handler: @escaping (BusRequest) -> Void,
                      ready: @escaping (Result<BusSubscription, BusError>) -> Void) {
        loop.preconditionInLoop()
        guard !isClosed else { return ready(.failure(BusError(.closed))) }
        let subscription = BusSubscription(id: nextSubscriptionID, key: key)
        nextSubscriptionID += 1
        let group: ServerGroup
        if BusKey.isPattern(key) {
            group = patternGroups[key] ?? ServerGroup()
            patternGroups[key] = group
        } else {
            group = groups[key] ?? ServerGroup()
            groups[key] = group
        }
        group.members.append(Server(subscription: subscription, handler: handler))
        ready(.success(subscription))
    }

    public func stopServing(_ subscription: BusSubscription) {
        loop.preconditionInLoop()
        let isPattern = BusKey.isPattern(subscription.key)
        guard let group = isPattern ? patternGroups[subscription.key] : groups[subscription.key] else { return }
        group.members.removeAll { $0.subscription == subscription }
        if group.members.isEmpty {
            if isPattern { patternGroups[subscription.key] = nil } else { groups[subscription.key] = nil }
        }
    }

    /// The server the next request for `key` goes to, if any serves it.
    private func pickServer(for key: String) -> Server? {
        let exact = groups[key]
        guard !patternGroups.isEmpty else { return exact?.take() }
        var matching: [ServerGroup] = exact.map { [$0] } ?? []
        for (pattern, group) in patternGroups where BusKey.matches(pattern: pattern, key: key) {
            matching.append(group)
        }
        switch matching.count {
        case 0: return nil
        case 1: return matching[0].take()
        default:
            let everyone = matching.flatMap(\.members)
            mixedTurn &+= 1
            return everyone[mixedTurn % everyone.count]
        }
    }

    public func request(key: String, payload: [UInt8], timeout: Duration,
                        completion: @escaping (Result<[UInt8], BusError>) -> Void) {
        loop.preconditionInLoop()
        guard !isClosed else { return completion(.failure(BusError(.closed))) }
        guard let server = pickServer(for: key) else {
            return completion(.failure(BusError(.noResponders)))
        }

        let pending = PendingRequest(completion: completion)
        let id = nextRequestID
        nextRequestID += 1
        server.handler(BusRequest(key: key, payload: payload) { [weak self, pending] reply in
            guard pending.finish(.success(reply)) else { return }
            self?.waiting[id] = nil
        })
        // Answered inside the handler: no timer was needed.
        guard !pending.isFinished else { return }
        waiting[id] = pending
        pending.timer = loop.schedule(after: timeout) { [weak self, pending] in
            pending.timer = nil
            guard pending.finish(.failure(BusError(.timedOut(timeout)))) else { return }
            self?.waiting[id] = nil
        }
    }

    public func close(completion: @escaping () -> Void) {
        loop.preconditionInLoop()
        if !isClosed {
            isClosed = true
            groups.removeAll()
            patternGroups.removeAll()
            let stranded = waiting.values
            waiting.removeAll()
            for pending in stranded { _ = pending.finish(.failure(BusError(.closed))) }
        }
        completion()
    }
}

/// A request that has not been answered yet: the first of reply, timeout and close wins.
private final class PendingRequest {
    private var completion: ((Result<[UInt8], BusError>) -> Void)?
    var timer: LoopTimer?

    init(completion: @escaping (Result<[UInt8], BusError>) -> Void) {
        self.completion = completion
    }

    var isFinished: Bool { completion == nil }

    /// Delivers `outcome` if nothing was delivered yet; reports whether it did.
    func finish(_ outcome: Result<[UInt8], BusError>) -> Bool {
        guard let completion else { return false }
        self.completion = nil
        timer?.close()
        timer = nil
        completion(outcome)
        return true
    }
}
