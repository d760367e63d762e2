/// What the last write of a key was.
///
/// A plain value; any thread.
public enum KVOperation: Sendable, Equatable {
    /// A value was stored.
    case put
    /// The key was deleted: a marker with no value (`KV-Operation: DEL`).
    case delete
    /// The key's history was purged: a marker with no value (`KV-Operation: PURGE`).
    case purge
}

/// The current state of one key of a ``JetStreamKeyValue`` bucket.
///
/// A plain value; any thread.
public struct KVEntry: Sendable, Equatable {
    /// The key, as asked for.
    public let key: String
    /// The stream sequence of the write: what ``JetStreamKeyValue/update(_:value:headers:expectedRevision:completion:)``
    /// expects to overwrite this entry. Deleted keys have one too.
    public let revision: UInt64
    /// Whether the key holds a value or was deleted or purged.
    public let operation: KVOperation
    /// The value; empty for ``KVOperation/delete`` and ``KVOperation/purge``.
    public let value: [UInt8]
    /// The header fields the writer set, without JetStream's own (`Nats-*`) and the
    /// `KV-Operation` marker.
    public let headers: [NATSHeader]

    /// An entry; made by the bucket, or by tests. Any thread.
    public init(key: String, revision: UInt64, operation: KVOperation, value: [UInt8], headers: [NATSHeader] = []) {
        self.key = key
        self.revision = revision
        self.operation = operation
        self.value = value
        self.headers = headers
    }
}
