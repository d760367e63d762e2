/// The durable layer under a ``WriteBehindStore``: blocking reads and batched, transactional
/// writes (the SQLite file).
///
/// Every member blocks: call it on libuv's thread pool or another worker thread, never on a
/// loop thread. Writes are never called concurrently (the store writes one batch at a time);
/// reads may run beside a write.
public protocol DurableObjectFile: AnyObject, Sendable {
    /// Where it is, for messages (a path).
    var location: String { get }

    /// The object, or `nil` when it was never written. A deleted object comes back with no
    /// entries and its last version.
    func read(_ object: ObjectIdentity) throws -> StoredObject?

    /// Writes `batch` in one transaction, in order. A write whose `expectedVersion` is not the
    /// object's version is skipped and reported `.conflict`; if the transaction fails nothing
    /// of it is written and the error is thrown.
    func write(_ batch: [DurableWrite]) throws -> [DurableWriteOutcome]

    /// The live objects (not deleted), of one class or of all, in a stable order.
    func identities(classID: String?) throws -> [ObjectIdentity]

    /// Releases the file. Idempotent.
    func close()
}

/// One change in a write batch. Any thread.
public struct DurableWrite: Sendable {
    public let object: ObjectIdentity
    /// The version the object has before this write (0: none).
    public let expectedVersion: UInt64
    public let newVersion: UInt64
    /// The new entries; `nil` deletes the object (its version stays, as a tombstone).
    public let entries: ObjectEntries?

    public init(object: ObjectIdentity, expectedVersion: UInt64, newVersion: UInt64, entries: ObjectEntries?) {
        self.object = object
        self.expectedVersion = expectedVersion
        self.newVersion = newVersion
        self.entries = entries
    }
}

/// What became of one write of a committed batch. Any thread.
public enum DurableWriteOutcome: Sendable, Equatable {
    case written
    /// The object's version was `actual`, not the expected one; nothing written for it.
    case conflict(actual: UInt64)
}
