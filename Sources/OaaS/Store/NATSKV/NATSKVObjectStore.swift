import Dispatch
import OaasBus
import OaasLoop

/// Objects in a NATS JetStream key-value bucket, shared by every process that names it: the
/// store for running one service in several processes or on several machines.
///
/// Each object is one key (see ``ObjectKVKey``) holding its ``ObjectRecord``, with the record's
/// schema in an `Oaas-Schema` header; its version is the revision (stream sequence) of its
/// last write. Every commit is a compare-and-set on that revision
/// (`Nats-Expected-Last-Subject-Sequence`), so of two processes that loaded the same revision
/// only one commits; the engine reloads and runs the other's call again. Loaded objects are
/// cached with their revision, so a hot object costs no read; a commit that finds the cache
/// stale (another process wrote) drops the entry, and any failure whose outcome is unknown (a
/// timeout, a lost connection) does too.
///
/// The store runs its NATS connection on a loop of its own. The bucket is created on open if
/// missing (file storage, the URL's replica count, one value per key), and a marker key
/// records the stored form's schema: a bucket written by a newer runtime is refused.
///
/// Any thread.
public final class NATSKVObjectStore: ObjectStore, @unchecked Sendable {
    // @unchecked: `client` and `kv` are touched only on `loop`'s thread; the cache is locked.

    /// The bucket's name.
    public let bucket: String
    private let loop: EventLoop
    /// How the loop is given back at ``close()``: stopped and joined (the store's own) or
    /// released to its owner.
    private let storeLoop: StoreLoop
    private let client: UncheckedTransfer<NATSClient>
    private let kv: UncheckedTransfer<JetStreamKeyValue>
    private let cache: LockedValue<ObjectCache<StoredObject?>>
    private let timeout: Duration

    /// The schema marker's key, outside the objects' `o.` keys.
    static let schemaKey = "oaas-schema"
    static let schemaHeader = "Oaas-Schema"

    private init(bucket: String, storeLoop: StoreLoop, client: NATSClient,
                 kv: JetStreamKeyValue, cacheCapacity: Int, timeout: Duration) {
        self.bucket = bucket
        loop = storeLoop.loop
        self.storeLoop = storeLoop
        self.client = UncheckedTransfer(client)
        self.kv = UncheckedTransfer(kv)
        cache = LockedValue(ObjectCache(capacity: cacheCapacity))
        self.timeout = timeout
    }

    /// Connects to `servers`, opens (or creates) `bucket` and checks its schema.
    /// - Parameters:
    ///   - loop: the loop its connection runs on, with how to give it back at ``close()``
    ///     (also when opening fails); `nil` starts a loop of the store's own. Calls made on the
    ///     connection's loop reach it without a thread hop.
    /// - Throws: ``ObjectStoreOpenError`` naming the store and the cause.
    /// Blocks while it opens: any thread but a loop thread.
    public static func open(servers: String, bucket: String, replicas: Int, config: OaasConfig,
                            loop given: StoreLoop? = nil) throws(ObjectStoreOpenError) -> NATSKVObjectStore {
        let shown = StoreURL.natsKV(servers: servers, bucket: bucket, replicas: replicas).redacted
        let storeLoop: StoreLoop
        if let given {
            storeLoop = given
        } else {
            do {
                storeLoop = .own(try EventLoop.startOwned(name: "oaas-store-nats-kv"))
            } catch {
                throw ObjectStoreOpenError(store: shown, cause: "cannot start its event loop: \(error)")
            }
        }
        let loop = storeLoop.loop
        let outcome = LockedValue<Result<NATSKVObjectStore, ObjectStoreOpenError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let finish: @Sendable (Result<NATSKVObjectStore, ObjectStoreOpenError>) -> Void = { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        do {
            try loop.execute {
                let settings = config.natsSettings(servers: servers, name: "oaas-swift-store")
                let client: NATSClient
                do {
                    client = try NATSClient(loop: loop, configuration: settings)
                } catch {
                    return finish(.failure(ObjectStoreOpenError(store: shown, cause: "\(error)")))
                }
                let kv: JetStreamKeyValue
                do {
                    kv = try JetStreamKeyValue(client: client,
                                               options: KVBucketOptions(bucket: bucket, replicas: replicas, timeout: config.busRequestTimeout))
                } catch {
                    return client.close { finish(.failure(ObjectStoreOpenError(store: shown, cause: "\(error)"))) }
                }
                let store = NATSKVObjectStore(bucket: bucket, storeLoop: storeLoop, client: client, kv: kv,
                                              cacheCapacity: config.storeCacheObjects, timeout: config.busRequestTimeout)
                let fail: (String) -> Void = { cause in
                    client.close { finish(.failure(ObjectStoreOpenError(store: shown, cause: cause))) }
                }
                client.connect { result in
                    if case .failure(let error) = result { return fail("\(error)") }
                    kv.open { opened in
                        if case .failure(let error) = opened { return fail("\(error)") }
                        store.checkSchema { problem in
                            if let problem { return fail(problem) }
                            finish(.success(store))
                        }
                    }
                }
            }
        } catch {
            throw ObjectStoreOpenError(store: shown, cause: "its event loop stopped: \(error)")
        }
        done.wait()
        switch outcome.withLock({ $0 })! {
        case .success(let store):
            return store
        case .failure(let error):
            storeLoop.releaseNow()
            throw error
        }
    }

    /// Reads or writes the schema marker; `completion` gets a problem, or `nil`. Loop thread.
    private func checkSchema(_ completion: @escaping (String?) -> Void) {
        kv.value.get(Self.schemaKey) { [kv] result in
            switch result {
            case .failure(let error):
                completion("cannot read its schema marker: \(error)")
            case .success(let entry?) where entry.operation == .put:
                let text = String(decoding: entry.value, as: UTF8.self)
                guard let version = Int(text) else { return completion("its schema marker holds \"\(text)\", not a version") }
                completion(version > ObjectRecord.schemaVersion
                    ? "the bucket was written by a newer runtime (schema \(version); this one reads \(ObjectRecord.schemaVersion))"
                    : nil)
            case .success(let entry):
                kv.value.update(Self.schemaKey, value: Array(String(ObjectRecord.schemaVersion).utf8),
                                expectedRevision: entry?.revision ?? 0) { written in
                    switch written {
                    case .success: completion(nil)
                    // Another process wrote it first: check what it wrote.
                    case .failure(let error) where Self.isWrongLastSequence(error): self.checkSchema(completion)
                    case .failure(let error): completion("cannot write its schema marker: \(error)")
                    }
                }
            }
        }
    }

    private static func isWrongLastSequence(_ error: KVError) -> Bool {
        if case .wrongLastSequence = error.kind { return true }
        return false
    }

    // MARK: ObjectStore

    public func load(_ object: ObjectIdentity) async throws -> StoredObject? {
        if let cached = cache.withLock({ $0.lookup(object) }) { return cached }
        return try await loadFromServer(object)
    }

    /// Reads the object's last write from the bucket (another process may have written it
    /// since it was cached) and caches it.
    public func isCurrent(_ object: ObjectIdentity, version: UInt64) async throws -> Bool {
        try await loadFromServer(object)?.version ?? 0 == version
    }

    private func loadFromServer(_ object: ObjectIdentity) async throws(ObjectStoreError) -> StoredObject? {
        let key = ObjectKVKey.key(of: object)
        let entry: KVEntry? = try await onLoop(object) { kv, done in kv.get(key, completion: done) }
        let stored = try entry.map { entry throws(ObjectStoreError) -> StoredObject in
            guard entry.operation == .put else { return StoredObject(entries: [:], version: entry.revision) }
            return StoredObject(entries: try Self.entries(of: entry, object), version: entry.revision)
        }
        cache.withLock { $0.insert(object, stored) }
        return stored
    }

    public func commit(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) async throws -> UInt64 {
        let key = ObjectKVKey.key(of: object)
        let record = ObjectRecord.encode(object, entries: entries)
        let headers = [NATSHeader(name: Self.schemaHeader, value: String(ObjectRecord.schemaVersion))]
        do {
            let revision: UInt64 = try await onLoop(object, expected: expectedVersion) { kv, done in
                kv.update(key, value: record, headers: headers, expectedRevision: expectedVersion, completion: done)
            }
            cache.withLock { $0.insert(object, StoredObject(entries: entries, version: revision)) }
            return revision
        } catch {
            // Stale, or unknown: the next call reads the object again.
            cache.withLock { $0.remove(object) }
            throw error
        }
    }

    public func delete(_ object: ObjectIdentity) async throws -> Bool {
        guard let stored = try await load(object), !stored.entries.isEmpty else { return false }
        let key = ObjectKVKey.key(of: object)
        do {
            let revision: UInt64 = try await onLoop(object) { kv, done in
                kv.delete(key, expectedRevision: stored.version, completion: done)
            }
            cache.withLock { $0.insert(object, StoredObject(entries: [:], version: revision)) }
            return true
        } catch {
            cache.withLock { $0.remove(object) }
            throw error
        }
    }

    public func identities(classID: String?) async throws -> [ObjectIdentity] {
        let prefix = classID.map(ObjectKVKey.classPrefix) ?? ObjectKVKey.prefix
        let probe = ObjectIdentity(classID: classID ?? "*", partitionID: 0, objectID: "*")
        let keys: [String] = try await onLoop(probe) { kv, done in kv.keys(prefix: prefix, completion: done) }
        return keys.compactMap(ObjectKVKey.identity(of:)).sorted { $0.description < $1.description }
    }

    public func close() async {
        let client = self.client
        let loop = self.loop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                try loop.execute { client.value.close { continuation.resume() } }
            } catch {
                continuation.resume()
            }
        }
        await storeLoop.release()
    }

    // MARK: Helpers

    /// Runs a key-value operation on the store's loop and returns its outcome as the object
    /// store's error.
    private func onLoop<T: Sendable>(_ object: ObjectIdentity, expected: UInt64 = 0,
                                     _ body: @escaping (JetStreamKeyValue, @escaping (Result<T, KVError>) -> Void) -> Void) async throws(ObjectStoreError) -> T {
        let kv = self.kv
        let work = UncheckedTransfer(body)
        let loop = self.loop
        let outcome: Result<T, KVError>? = await withCheckedContinuation { continuation in
            // A call served on the connection's own loop goes straight to it.
            if loop.inLoop { return work.value(kv.value) { continuation.resume(returning: $0) } }
            do {
                try loop.execute {
                    work.value(kv.value) { continuation.resume(returning: $0) }
                }
            } catch {
                continuation.resume(returning: nil)
            }
        }
        switch outcome {
        case .success(let value)?:
            return value
        case .failure(let error)?:
            throw Self.storeError(error, object, expected: expected)
        case nil:
            throw ObjectStoreError(object: object, reason: .unavailable("the store's connection has been closed"))
        }
    }

    private static func storeError(_ error: KVError, _ object: ObjectIdentity, expected: UInt64) -> ObjectStoreError {
        switch error.kind {
        case .wrongLastSequence(let actual):
            return ObjectStoreError(object: object, reason: .conflict(expected: expected, actual: actual))
        case .payloadTooLarge(let size, let limit):
            return ObjectStoreError(object: object, reason: .unavailable(
                "its state is \(size) bytes, over the NATS server's max payload of \(limit) bytes; nothing was written"))
        default:
            return ObjectStoreError(object: object, reason: .unavailable("NATS key-value: \(error)"))
        }
    }

    private static func entries(of entry: KVEntry, _ object: ObjectIdentity) throws(ObjectStoreError) -> ObjectEntries {
        if let schema = entry.headers.first(where: { $0.name.lowercased() == schemaHeader.lowercased() }).flatMap({ Int($0.value) }),
           schema > ObjectRecord.schemaVersion {
            throw ObjectStoreError(object: object, reason: .unavailable(
                "it was written by a newer runtime (schema \(schema); this one reads \(ObjectRecord.schemaVersion))"))
        }
        do {
            let decoded = try ObjectRecord.decode(entry.value)
            return decoded.entries
        } catch {
            throw ObjectStoreError(object: object, reason: .unavailable("\(error)"))
        }
    }
}

/// The loop a NATS store runs its connection on, and how it is given back. Any thread.
public struct StoreLoop: Sendable {
    /// The loop.
    public let loop: EventLoop
    /// Gives the loop back once the store has closed its connection.
    public let release: @Sendable () async -> Void
    /// Gives the loop back after a failed open: without waiting on tasks (the opener may be
    /// blocking a task's thread).
    public let releaseNow: @Sendable () -> Void

    /// A loop someone else owns, with their two ways of taking it back.
    public init(loop: EventLoop, release: @escaping @Sendable () async -> Void, releaseNow: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.release = release
        self.releaseNow = releaseNow
    }

    /// A loop of the store's own: stopped and its thread joined when given back.
    static func own(_ loop: EventLoop) -> StoreLoop {
        StoreLoop(loop: loop, release: {
            loop.stop()
            _ = await loop.terminated()
            // The thread has finished its loop; joining it is immediate and keeps it from
            // being left unjoined.
            loop.join()
        }, releaseNow: {
            loop.shutdown(gracePeriod: .seconds(2))
        })
    }
}
