import OaasLoop

/// Opens the store a store URL names (see ``StoreURL``).
public enum ObjectStores {
    /// The store `url` names, opened: for `memory` a new empty store; for `sqlite:` the file
    /// (created with its directories), shared with any store of this process already open on
    /// it; for `nats-kv://` a connection to the servers, with the bucket created if missing.
    /// - Parameter readOnly: for tools that only look: a SQLite file is opened without
    ///   taking its serving lock, so it can be read while a server runs on it.
    /// - Throws: ``ObjectStoreOpenError`` naming the store and the cause.
    /// Blocks while it opens: any thread but a loop thread.
    public static func open(_ url: String, config: OaasConfig, readOnly: Bool = false) throws(ObjectStoreOpenError) -> any ObjectStore {
        try open(url, config: config, readOnly: readOnly, loop: nil)
    }

    /// ``open(_:config:readOnly:)`` with the loop a NATS store's connection runs on (and how
    /// to give it back when the store closes, or at once if opening fails); `nil` gives the
    /// store a loop of its own. Other stores take no loop.
    static func open(_ url: String, config: OaasConfig, readOnly: Bool,
                     loop: StoreLoop?) throws(ObjectStoreOpenError) -> any ObjectStore {
        let parsed: StoreURL
        do {
            parsed = try StoreURL.parse(url)
        } catch {
            throw ObjectStoreOpenError(store: BusURLRedaction.redacted(url), cause: error.reason)
        }
        switch parsed {
        case .memory:
            return InMemoryObjectStore()
        case .sqlite(let path, let synchronous):
            return try SQLiteObjectStore.open(path: path, synchronous: synchronous, cacheCapacity: config.storeCacheObjects,
                                              exclusive: !readOnly)
        case .natsKV(let servers, let bucket, let replicas):
            return try NATSKVObjectStore.open(servers: servers, bucket: bucket, replicas: replicas, config: config, loop: loop)
        }
    }
}

/// A store could not be opened. Any thread.
public struct ObjectStoreOpenError: OaasError, Equatable {
    /// The store's URL, secrets masked.
    public let store: String
    /// Why, phrased for a person.
    public let cause: String

    public init(store: String, cause: String) {
        self.store = store
        self.cause = cause
    }

    public var code: String { "STORE_OPEN_FAILED" }
    public var message: String { "cannot open the object store \(store): \(cause)" }
}
