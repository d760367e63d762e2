/// Why a ``JetStreamKeyValue`` operation failed. Any thread.
public struct KVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, with the details a person needs.
    public enum Kind: Sendable, Equatable {
        /// Compare-and-set lost: the key's revision is `actual` (0: the key has never been
        /// written), not the one the write expected.
        case wrongLastSequence(actual: UInt64)
        /// The value (with its header fields, which count too) is larger than the bucket or
        /// the server accepts; nothing was written.
        case payloadTooLarge(size: Int, limit: Int)
        /// The key (or key prefix) breaks the key rules (``JetStreamKeyValue/isValidKey(_:)``);
        /// nothing was sent.
        case invalidKey(String)
        /// A header field cannot be sent, or its name is one the bucket sets itself; nothing
        /// was sent.
        case invalidHeader(String)
        /// The bucket options cannot make a bucket (name, replicas, limits).
        case invalidOptions(String)
        /// No reply within the bucket's timeout (the server may be down, or the client
        /// reconnecting). A write may or may not have happened.
        case timedOut
        /// JetStream cannot be reached: the client is not connected or closed, nobody answers
        /// (JetStream off, the stream gone), or the bucket is not open. The text says which.
        case unavailable(String)
        /// The bucket's stream does not exist.
        case bucketNotFound
        /// A stream of the bucket's name exists but is not a key-value bucket this type can
        /// use (wrong subjects, no per-subject limit); the text says what differs.
        case incompatibleStream(String)
        /// JetStream refused the request: the HTTP-like `code`, JetStream's own `errorCode`
        /// (e.g. 10059 stream not found) and its description.
        case api(code: Int, errorCode: Int, description: String)
        /// The reply did not have the shape JetStream's API promises (bad JSON, a missing
        /// field or header, a number out of range); nothing was decided from it.
        case malformedReply(String)
    }

    /// What went wrong. Any thread.
    public let kind: Kind

    /// An error of `kind`. Any thread.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// The error in words a person can act on. Any thread.
    public var description: String {
        switch kind {
        case .wrongLastSequence(let actual):
            actual == 0 ? "wrong last sequence: the key does not exist" : "wrong last sequence: the key is at revision \(actual)"
        case .payloadTooLarge(let size, let limit): "a message of \(size) bytes exceeds the limit of \(limit) bytes"
        case .invalidKey(let reason): "invalid key: \(reason)"
        case .invalidHeader(let reason): "invalid header: \(reason)"
        case .invalidOptions(let reason): "invalid bucket options: \(reason)"
        case .timedOut: "JetStream did not answer within the bucket's timeout"
        case .unavailable(let reason): "JetStream is unavailable: \(reason)"
        case .bucketNotFound: "the bucket's stream does not exist"
        case .incompatibleStream(let reason): "the stream is not a usable key-value bucket: \(reason)"
        case .api(let code, let errorCode, let description): "JetStream refused the request: \(description) (code \(code), error \(errorCode))"
        case .malformedReply(let reason): "malformed JetStream reply: \(reason)"
        }
    }
}

extension KVError {
    /// The key-value reading of a failed request: `subject` says what was asked, for the text.
    init(_ error: BusError, subject: String) {
        switch error.kind {
        case .timedOut:
            self.init(.timedOut)
        case .noResponders:
            self.init(.unavailable("nobody answers on \(subject): JetStream is not enabled on the server, or the bucket's stream is gone"))
        case .payloadTooLarge(let size, let limit):
            self.init(.payloadTooLarge(size: size, limit: limit))
        case .invalidKey(let reason):
            self.init(.invalidKey(reason))
        case .connectionFailed, .authorizationFailed, .protocolError, .closed:
            self.init(.unavailable(error.description))
        }
    }
}
