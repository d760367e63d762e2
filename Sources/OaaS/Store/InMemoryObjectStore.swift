import OaasLoop

/// The embedded object store: every object in a dictionary, guarded by one lock.
///
/// The default store, and the one of mock mode. Loads and commits complete at once, so it is
/// also an ``ImmediateObjectStore``. A delete keeps the object's version (as an object with no
/// entries), so versions never repeat and a call that loaded the object before the delete
/// cannot commit over a later re-creation. Any thread.
public final class InMemoryObjectStore: ObjectStore, ImmediateObjectStore {
    private let objects = LockedValue<[ObjectIdentity: StoredObject]>([:])

    /// Makes an empty store.
    public init() {}

    public var immediate: (any ImmediateObjectStore)? { self }

    public func loadNow(_ object: ObjectIdentity) -> StoredObject? {
        objects.withLock { $0[object] }
    }

    public func commitNow(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) throws -> UInt64 {
        let outcome: Result<UInt64, ObjectStoreError> = objects.withLock { objects in
            let current = objects[object]?.version ?? 0
            guard current == expectedVersion else {
                return .failure(ObjectStoreError(object: object, reason: .conflict(expected: expectedVersion, actual: current)))
            }
            objects[object] = StoredObject(entries: entries, version: current + 1)
            return .success(current + 1)
        }
        return try outcome.get()
    }

    public func load(_ object: ObjectIdentity) async throws -> StoredObject? {
        loadNow(object)
    }

    public func commit(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) async throws -> UInt64 {
        try commitNow(object, entries: entries, expectedVersion: expectedVersion)
    }

    public func delete(_ object: ObjectIdentity) async throws -> Bool {
        objects.withLock { objects in
            guard let current = objects[object] else { return false }
            objects[object] = StoredObject(entries: [:], version: current.version + 1)
            return !current.entries.isEmpty
        }
    }

    public func identities(classID: String?) async throws -> [ObjectIdentity] {
        identities.filter { classID == nil || $0.classID == classID }.sorted { $0.description < $1.description }
    }

    /// How many objects are stored (with entries). Any thread.
    public var count: Int { objects.withLock { $0.values.filter { !$0.entries.isEmpty }.count } }

    /// Every stored object's identity. Any thread.
    public var identities: [ObjectIdentity] { objects.withLock { $0.filter { !$0.value.entries.isEmpty }.map(\.key) } }
}
