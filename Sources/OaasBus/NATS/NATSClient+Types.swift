import OaasLoop

// The client's internal bookkeeping types. Loop-confined with their client.
extension NATSClient {
    /// The client's life, which ``NATSClientState`` shows (closing and closed both as closed).
    enum Lifecycle {
        case idle
        /// The first connect: one pass over the configured servers.
        case connecting
        case connected
        /// Replacing a lost connection; `attempt` counts rounds over the servers, from 1.
        case reconnecting(attempt: Int)
        /// Closed for callers; waiting for handles (and an outstanding TCP connect) to finish.
        case closing
        case closed
    }

    /// The connection to one server, from looking up its name to a completed handshake.
    enum Link {
        case down
        /// The server's host name is being resolved; cancelling the resolution is enough to
        /// abandon it (its completion then never runs).
        case resolving(NATSEndpoint, HostResolution)
        /// The TCP connect to one of the server's addresses is outstanding.
        case dialing(NATSEndpoint, SocketAddress)
        /// Connected; the server's INFO has not arrived yet.
        case awaitingInfo(TCPConnection, NATSEndpoint)
        /// CONNECT and PING sent; the PONG that confirms them has not arrived yet.
        case awaitingPong(TCPConnection, NATSEndpoint)
        /// The handshake is complete.
        case up(TCPConnection, NATSEndpoint)
    }

    /// One pass over a list of servers, and why each attempt failed.
    ///
    /// A server whose host is a name may have several addresses: each is tried in turn
    /// before the next server, so a name that points at a cluster works like a list.
    struct ConnectRound {
        var candidates: [NATSEndpoint] = []
        var next = 0
        /// The addresses found for the server being tried (`candidates[next - 1]`).
        var addresses: [SocketAddress] = []
        var nextAddress = 0
        var reasons: [String] = []
        /// The first refusal of our credentials: it is the failure a person can act on, so it
        /// wins over servers that were merely unreachable.
        var authorizationFailure: BusError?

        mutating func record(_ error: BusError) {
            switch error.kind {
            case .authorizationFailed(let text):
                if authorizationFailure == nil { authorizationFailure = error }
                reasons.append(text)
            case .connectionFailed(let text), .protocolError(let text):
                reasons.append(text)
            case .timedOut, .noResponders, .payloadTooLarge, .closed, .invalidKey:
                reasons.append(error.description)
            }
        }

        var failure: BusError {
            if let authorizationFailure { return authorizationFailure }
            if reasons.isEmpty { return BusError(.connectionFailed("no server to connect to")) }
            return BusError(.connectionFailed(reasons.joined(separator: "; ")))
        }
    }

    /// A served key: its subscription id is the key of `served`.
    struct ServedKey {
        let key: String
        let subject: String
        /// A key with a ``BusKey/anyObject`` segment: each request's own key is read back
        /// from its subject.
        let isPattern: Bool
        let handler: (BusRequest) -> Void
        /// Set until the server confirmed the subscription (a PONG behind the SUB).
        var ready: ((Result<BusSubscription, BusError>) -> Void)?
        /// UNSUB sent; requests still arriving are delivered until the server confirms it.
        var isStopping = false
    }

    /// A request waiting for its reply; its token is the key of `pending`.
    struct PendingRequest {
        let handler: ReplyHandler
        let timeout: Duration

        /// Ends the request with `error`.
        func fail(_ error: BusError) {
            switch handler {
            case .payload(let completion): completion(.failure(error))
            case .reply(let completion): completion(.failure(error))
            }
        }
    }

    /// Who hears a request's reply, and how much of it.
    enum ReplyHandler {
        /// ``NATSClient/request(key:payload:timeout:completion:)``: the payload only; a status
        /// reply is a failure.
        case payload((Result<[UInt8], BusError>) -> Void)
        /// ``NATSClient/request(subject:headers:payload:timeout:completion:)``: the whole reply,
        /// status replies included (except no responders).
        case reply((Result<NATSReply, BusError>) -> Void)
    }

    /// What a PING the client sent is waiting for.
    enum PongWaiter {
        /// The PING after CONNECT: its PONG completes the handshake.
        case handshake
        /// A keepalive ping.
        case keepalive
        /// The PING behind these subscriptions' SUBs: its PONG makes them ready.
        case subscriptions([UInt64])
        /// A caller's ``NATSClient/flush(completion:)``.
        case flush((Result<Void, BusError>) -> Void)
        /// The PING behind an UNSUB: its PONG means no more requests for the subscription.
        case unsubscribed(UInt64, () -> Void)
    }

    /// Publishes encoded while disconnected, sent in order after the reconnect.
    struct HeldPublishes {
        struct Record {
            /// Where the command ends in `bytes` (it starts where the previous one ends).
            var end: Int
            var payloadSize: Int
            /// The request's token, or `nil` for a reply.
            var token: UInt64?
        }

        var bytes: [UInt8] = []
        var records: [Record] = []

        var isEmpty: Bool { records.isEmpty }

        mutating func append(_ command: [UInt8], payloadSize: Int, token: UInt64?) {
            bytes.append(contentsOf: command)
            records.append(Record(end: bytes.count, payloadSize: payloadSize, token: token))
        }

        mutating func removeAll() {
            bytes = []
            records = []
        }

        /// Drops the held requests `isLive` rejects (replies are always kept): a request that
        /// timed out while held must not be sent, and run, after the reconnect.
        mutating func keepLiveRequests(_ isLive: (UInt64) -> Bool) {
            guard records.contains(where: { $0.token.map { !isLive($0) } ?? false }) else { return }
            var kept = HeldPublishes()
            var start = 0
            for record in records {
                if record.token.map(isLive) ?? true {
                    kept.append(Array(bytes[start..<record.end]), payloadSize: record.payloadSize, token: record.token)
                }
                start = record.end
            }
            self = kept
        }
    }

    /// How a publish went.
    enum PublishOutcome {
        case sent
        /// Held for the reconnect.
        case held
        case failed(BusError)
    }
}
