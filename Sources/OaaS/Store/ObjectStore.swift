/// One object as stored: its entries and the version that the next commit must name.
public struct StoredObject: Sendable, Equatable {
    /// Field entries (see ``ObjectEntries``).
    public var entries: ObjectEntries
    /// The object's revision: it grows with every commit and is never 0 for an object that
    /// was committed. The in-memory and SQLite stores count 1, 2, 3…; a NATS key-value store
    /// uses the stream sequence of the object's last write, which grows in larger steps.
    public var version: UInt64

    /// Makes a stored object.
    public init(entries: ObjectEntries, version: UInt64) {
        self.entries = entries
        self.version = version
    }
}

/// Where object state lives.
///
/// Commits are compare-and-set on the object's version: a commit names the version it loaded
/// (0 for an object that did not exist) and fails with ``ObjectStoreError/Reason/conflict`` if
/// anyone committed in between, so two activations of one object can never both commit.
/// Implementations must be safe to call from any thread.
public protocol ObjectStore: AnyObject, Sendable {
    /// The object, or `nil` if it was never committed. A deleted object may come back with no
    /// entries and its last version, so a re-creation commits on top of it. Any thread or task.
    func load(_ object: ObjectIdentity) async throws -> StoredObject?

    /// Replaces the object's entries if its version is still `expectedVersion`.
    /// - Returns: the new version.
    /// - Throws: ``ObjectStoreError`` (`conflict` when the version moved on).
    /// Any thread or task.
    func commit(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) async throws -> UInt64

    /// Removes the object. - Returns: whether it existed. Any thread or task.
    func delete(_ object: ObjectIdentity) async throws -> Bool

    /// The objects stored (with entries), of the class `classID` or of every class, in a
    /// stable order. For tools (`demo objects`); it may read the whole store. Any thread or
    /// task.
    func identities(classID: String?) async throws -> [ObjectIdentity]

    /// Whether `version` is still the object's current version. A call that changed nothing
    /// asks this of a store that several processes share, whose cache may lag another
    /// process's writes, so that it never answers from a state already replaced; on `false` it
    /// runs again on the current one. Stores that no other process writes answer `true`
    /// without looking. Any thread or task.
    func isCurrent(_ object: ObjectIdentity, version: UInt64) async throws -> Bool

    /// Writes what is pending and releases the store's files or connections; the store takes
    /// no calls afterwards. Any thread or task.
    func close() async

    /// The same store without suspension, when its operations complete at once (in memory).
    /// The synchronous invocation handler uses it to run a call inline on the loop thread;
    /// stores that do I/O return `nil` and are always awaited.
    var immediate: (any ImmediateObjectStore)? { get }
}

extension ObjectStore {
    /// Stores that do I/O have no immediate form.
    public var immediate: (any ImmediateObjectStore)? { nil }

    /// Stores with nothing to release.
    public func close() async {}

    /// Stores that only this process writes: what it loaded is current.
    public func isCurrent(_ object: ObjectIdentity, version: UInt64) async throws -> Bool { true }
}

/// A store whose loads and commits finish without waiting. Any thread.
public protocol ImmediateObjectStore: Sendable {
    /// See ``ObjectStore/load(_:)``.
    func loadNow(_ object: ObjectIdentity) throws -> StoredObject?
    /// See ``ObjectStore/commit(_:entries:expectedVersion:)``.
    func commitNow(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) throws -> UInt64
}

/// A store operation failed. Any thread.
public struct ObjectStoreError: OaasError, Equatable {
    /// Why.
    public enum Reason: Sendable, Equatable {
        /// Someone committed the object after it was loaded.
        case conflict(expected: UInt64, actual: UInt64)
        /// The store cannot be reached or refused the operation.
        case unavailable(String)
    }

    /// The object concerned.
    public let object: ObjectIdentity
    /// Why the operation failed.
    public let reason: Reason

    /// Makes the error.
    public init(object: ObjectIdentity, reason: Reason) {
        self.object = object
        self.reason = reason
    }

    public var code: String {
        switch reason {
        case .conflict: "STORE_CONFLICT"
        case .unavailable: "STORE_UNAVAILABLE"
        }
    }

    public var message: String {
        switch reason {
        case .conflict(let expected, let actual):
            "object \(object) changed while the call ran (loaded version \(expected), now \(actual)); its changes were not committed"
        case .unavailable(let why):
            "the object store failed for \(object): \(why)"
        }
    }
}
