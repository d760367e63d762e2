import OaasLoop

/// A JetStream key-value bucket over a ``NATSClient``: the durable, single-valued state of
/// objects, with compare-and-set writes on a per-key revision.
///
/// The bucket is a stream, `KV_<bucket>`, capturing `$KV.<bucket>.>`, one message kept per
/// key; a key's revision is the stream sequence of its last write. Reads are direct gets of
/// the last message of the key's subject (or stream message gets, for a stream that does not
/// allow direct gets), writes are publishes to the key's subject with
/// `Nats-Expected-Last-Subject-Sequence`, and a delete is a `KV-Operation: DEL` marker, so a
/// deleted key keeps a revision to compare against. Everything is a request on the client,
/// so it inherits the client's behaviour: requests made while it reconnects wait for the
/// reconnect within their timeout.
///
/// Reads and writes parse their replies without Foundation (they are per object call);
/// ``open(completion:)`` and ``keys(prefix:completion:)`` use Foundation's JSON.
///
/// Loop-confined: make it on any thread, then call every other member on the client's loop
/// thread; completions run there, once each (completions of calls refused at once run
/// before the call returns).
public final class JetStreamKeyValue {
    /// The client every request goes through. Any thread (the client itself is loop-confined).
    public let client: NATSClient
    /// The options the bucket was made with. Any thread.
    public let options: KVBucketOptions

    let loop: EventLoop
    let streamName: String
    /// `$KV.<bucket>.`: a key's subject is this and the key.
    let subjectPrefix: String
    /// `$JS.API.DIRECT.GET.KV_<bucket>.$KV.<bucket>.`: a key's direct get (last message of
    /// its subject, the subject carried in the request subject so no JSON is needed).
    let directGetPrefix: String
    let infoSubject: String
    let createSubject: String
    let messageGetSubject: String

    var lifecycle: Lifecycle = .closed

    /// What is known of the bucket's stream once open.
    struct Binding {
        /// Whether reads may use direct gets (`allow_direct`); nats-server 2.9 does not answer
        /// direct gets on streams without it.
        let allowDirect: Bool
        /// The stream's `max_msg_size` (header block plus value), when it has one.
        let maxMessageSize: Int?
    }

    /// Whether the bucket can be used.
    enum Lifecycle {
        case closed
        /// Looking the stream up (or creating it); these completions wait.
        case opening([(Result<Void, KVError>) -> Void])
        case open(Binding)
    }

    /// A bucket handle; nothing is sent until ``open(completion:)``.
    /// - Throws: ``KVError`` `.invalidOptions` for a bucket name that is not one NATS token
    ///   of letters, digits, `-` and `_`, replicas outside 1...5, a non-positive
    ///   `maxValueSize` or timeout.
    /// Any thread.
    public init(client: NATSClient, options: KVBucketOptions) throws(KVError) {
        if let problem = options.problem { throw KVError(.invalidOptions(problem)) }
        self.client = client
        self.options = options
        loop = client.loop
        streamName = JetStreamStreamAPI.streamName(options.bucket)
        subjectPrefix = JetStreamStreamAPI.subjectPrefix(options.bucket)
        directGetPrefix = "$JS.API.DIRECT.GET.\(streamName).\(subjectPrefix)"
        infoSubject = "$JS.API.STREAM.INFO.\(streamName)"
        createSubject = "$JS.API.STREAM.CREATE.\(streamName)"
        messageGetSubject = "$JS.API.STREAM.MSG.GET.\(streamName)"
    }

    /// Whether ``open(completion:)`` has succeeded. Loop thread only.
    public var isOpen: Bool {
        loop.preconditionInLoop()
        switch lifecycle {
        case .open: return true
        case .closed, .opening: return false
        }
    }

    /// Whether `key` may be used: one or more dot-separated tokens of letters, digits, `-`,
    /// `/`, `_` and `=`, with no empty token and no dot at either end (JetStream's key-value
    /// key rule; it makes every key a literal subject). Any thread.
    public static func isValidKey(_ key: String) -> Bool {
        KVKeyRules.isValidKey(key)
    }

    // MARK: Opening

    /// Binds to the bucket's stream, creating it if it does not exist: file storage, one
    /// message per key, discard new, the configured replicas and `maxValueSize`, rollups and
    /// direct gets allowed, deletes only through markers (what JetStream's own key-value
    /// clients create, so they can share the bucket).
    ///
    /// An existing stream is used as it is when it captures `$KV.<bucket>.>`: other settings
    /// (replicas, history, limits) are its owner's business; whether it allows direct gets
    /// decides how keys are read. Two clients opening at once are fine: the one whose create
    /// loses reads the winner's stream.
    ///
    /// - Parameter completion: runs once on the loop thread: success; `.incompatibleStream`
    ///   when `KV_<bucket>` exists with other subjects; `.api` when JetStream refuses the
    ///   create (e.g. no storage); `.unavailable` or `.timedOut` when JetStream cannot be
    ///   reached (a client still connecting waits for its connection, within the timeout).
    ///   Opening an open bucket succeeds at once; calls during an open wait for it.
    /// Loop thread only.
    public func open(completion: @escaping (Result<Void, KVError>) -> Void) {
        loop.preconditionInLoop()
        switch lifecycle {
        case .open:
            completion(.success(()))
        case .opening(var waiting):
            waiting.append(completion)
            lifecycle = .opening(waiting)
        case .closed:
            lifecycle = .opening([completion])
            lookUpStream(createIfMissing: true)
        }
    }

    private func lookUpStream(createIfMissing: Bool) {
        client.request(subject: infoSubject, payload: [], timeout: options.timeout) { [self] result in
            let info: JetStreamStreamAPI.StreamInfo
            do throws(KVError) {
                info = try JetStreamStreamAPI.streamInfo(from: apiPayload(result, subject: infoSubject).get())
            } catch let error where createIfMissing && error.kind == .bucketNotFound {
                return createStream()
            } catch {
                return finishOpening(.failure(error))
            }
            finishOpening(bind(info))
        }
    }

    private func createStream() {
        client.request(subject: createSubject, payload: JetStreamStreamAPI.createRequest(for: options),
                       timeout: options.timeout) { [self] result in
            do throws(KVError) {
                guard let info = try JetStreamStreamAPI.createdStream(from: apiPayload(result, subject: createSubject).get()) else {
                    // Made meanwhile by another client (or made differently): use what is there.
                    return lookUpStream(createIfMissing: false)
                }
                finishOpening(bind(info))
            } catch {
                finishOpening(.failure(error))
            }
        }
    }

    /// Checks the stream is this bucket's.
    func bind(_ info: JetStreamStreamAPI.StreamInfo) -> Result<Binding, KVError> {
        let wanted = subjectPrefix + ">"
        guard info.name == streamName, info.subjects.contains(wanted) else {
            return .failure(KVError(.incompatibleStream(
                "\(info.name) captures \(info.subjects), not \(wanted)")))
        }
        return .success(Binding(allowDirect: info.allowDirect,
                                maxMessageSize: info.maxMessageSize > 0 ? info.maxMessageSize : nil))
    }

    private func finishOpening(_ result: Result<Binding, KVError>) {
        guard case .opening(let waiting) = lifecycle else { return }
        switch result {
        case .success(let binding):
            lifecycle = .open(binding)
            for completion in waiting { completion(.success(())) }
        case .failure(let error):
            lifecycle = .closed
            for completion in waiting { completion(.failure(error)) }
        }
    }

    // MARK: Shared pieces

    /// The binding, or why the bucket cannot be used yet.
    var binding: Result<Binding, KVError> {
        switch lifecycle {
        case .open(let binding): .success(binding)
        case .closed: .failure(KVError(.unavailable("the bucket \(options.bucket) is not open: call open(completion:) first")))
        case .opening: .failure(KVError(.unavailable("the bucket \(options.bucket) is still opening")))
        }
    }

    /// The payload of a JetStream API reply (these come without status), or the error.
    func apiPayload(_ result: Result<NATSReply, BusError>, subject: String) -> Result<[UInt8], KVError> {
        switch result {
        case .failure(let error):
            return .failure(KVError(error, subject: subject))
        case .success(let reply):
            if let status = reply.status {
                return .failure(KVError(.api(code: status, errorCode: 0, description: reply.statusDescription ?? "status \(status)")))
            }
            return .success(reply.payload)
        }
    }
}
