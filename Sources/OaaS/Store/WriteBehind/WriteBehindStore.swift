import Dispatch
import OaasLoop

/// A store that serves objects from memory and writes their changes to a durable file behind
/// the calls, in groups: the SQLite store.
///
/// What it promises, and how:
/// - **Compare-and-set in memory.** The objects it has loaded are kept with their version; a
///   commit is decided at once against that version (under one lock, so the loops of a
///   process cannot both win), and the new state is what the next call of the object sees,
///   before it is on disk. So a hot object costs no read and its calls need not wait for the
///   disk one by one.
/// - **Nothing is acknowledged before it is durable.** A commit's caller is told only once the
///   transaction holding it committed; the engine holds the call's answer until then. A call
///   that changed nothing but saw a state not yet on disk waits for that state too.
/// - **Group commit.** Commits staged during one loop turn go to the writer together at the
///   turn's end; while a transaction is being written, everything staged meanwhile queues for
///   the next, so under load each transaction carries many commits. One transaction is
///   written at a time, on libuv's thread pool (never on a loop thread).
/// - **Failures lose nothing acknowledged.** A failed transaction (disk full, I/O error) fails
///   every commit in it with the cause, forgets the objects it touched (the next call reads
///   them from the file again), and fails the calls staged on top of them, whose
///   compare-and-set on the file cannot match. Writes work again once the cause is gone.
/// - **Bounded memory.** At most `cacheCapacity` objects are kept; beyond that the oldest
///   objects with nothing left to write are dropped (and read again when called).
///
/// The file's own compare-and-set (on the version) still guards every write, so a second
/// process writing the same file makes this one's commits fail rather than overwrite; the
/// SQLite store keeps a second serving process out with a lock (see ``SQLiteObjectStore``).
///
/// Any thread; the per-loop group commit goes through ``session(on:)``.
public final class WriteBehindStore: ObjectStore, @unchecked Sendable {
    // @unchecked: mutable state is in `state`, behind its lock; `CachedObject`s are touched
    // only under that lock.

    /// The durable file.
    public let file: any DurableObjectFile
    /// The most objects kept in memory.
    public let cacheCapacity: Int

    private let state: LockedValue<State>
    private let sessions = LockedValue<[ObjectIdentifier: WeakSession]>([:])

    private struct State {
        var objects: ObjectCache<CachedObject>
        /// Staged writes waiting for the writer.
        var queued: [StagedWrite] = []
        var writing = false
        var statistics = WriteBehindStatistics()
        var idleWaiters: [@Sendable () -> Void] = []
    }

    private struct WeakSession {
        weak var session: WriteBehindSession?
    }

    /// A store over `file`, keeping at most `cacheCapacity` objects in memory.
    public init(file: any DurableObjectFile, cacheCapacity: Int = 100_000) {
        self.file = file
        self.cacheCapacity = cacheCapacity
        state = LockedValue(State(objects: ObjectCache(capacity: cacheCapacity)))
    }

    /// Counters of the writer. Any thread.
    public var statistics: WriteBehindStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.cachedObjects = state.objects.count
            return statistics
        }
    }

    /// The group-commit front of this store for `loop`'s engines (one per loop). Loop thread.
    func session(on loop: EventLoop) -> WriteBehindSession {
        sessions.withLock { sessions in
            let key = ObjectIdentifier(loop)
            if let session = sessions[key]?.session { return session }
            sessions = sessions.filter { $0.value.session != nil }
            let session = WriteBehindSession(store: self, loop: loop)
            sessions[key] = WeakSession(session: session)
            return session
        }
    }

    // MARK: Reading

    /// The object as cached: `.some(nil)` for one known not to exist, `nil` when not cached.
    func cached(_ object: ObjectIdentity) -> StoredObject?? {
        state.withLock { state in
            guard let cached = state.objects.lookup(object) else { return nil }
            return .some(cached.stored)
        }
    }

    /// Reads `object` from the file on `runner` unless it is cached meanwhile; the answer is
    /// what is cached afterwards.
    func read(_ object: ObjectIdentity, on runner: BlockingRunner,
              completion: @escaping @Sendable (Result<StoredObject?, ObjectStoreError>) -> Void) {
        let file = self.file
        let box = ResultBox<StoredObject?>()
        runner.run({
            box.result = Result { try file.read(object) }
        }, { [self] in
            switch box.result! {
            case .success(let stored):
                completion(.success(remember(object, stored)))
            case .failure(let error):
                completion(.failure(ObjectStoreError(object: object, reason: .unavailable(ErrorReport.text(of: error)))))
            }
        })
    }

    /// Caches what was read, unless the object was cached (and maybe changed) meanwhile.
    private func remember(_ object: ObjectIdentity, _ stored: StoredObject?) -> StoredObject? {
        state.withLock { state in
            state.statistics.reads += 1
            if let existing = state.objects.lookup(object) { return existing.stored }
            // Objects with writes in flight stay: their memory is ahead of the file.
            state.statistics.evictions += state.objects.insert(object, CachedObject(stored: stored)) { $0.unflushed == 0 }
            return stored
        }
    }

    // MARK: Staging

    /// Decides a commit of `object` at once: if its cached version is `expectedVersion`, the
    /// new state replaces it in memory and a write is returned for the writer; `notify` will
    /// be called with the write's fate. `entries` `nil` deletes the object.
    /// - Throws: ``ObjectStoreError`` `.conflict` when the version moved on (or the object is
    ///   not cached: the caller's view of it is too old to trust).
    /// - Parameter loop: the loop whose thread `notify` must run on; `nil` for any thread.
    func stage(_ object: ObjectIdentity, entries: ObjectEntries?, expectedVersion: UInt64, loop: EventLoop?,
               notify: @escaping (Result<Void, ObjectStoreError>) -> Void) throws(ObjectStoreError) -> (UInt64, StagedWrite) {
        let outcome: Result<(UInt64, StagedWrite), ObjectStoreError> = state.withLock { state in
            guard let cached = state.objects.lookup(object) else {
                return .failure(ObjectStoreError(object: object, reason: .conflict(expected: expectedVersion, actual: 0)))
            }
            let current = cached.stored?.version ?? 0
            guard current == expectedVersion else {
                return .failure(ObjectStoreError(object: object, reason: .conflict(expected: expectedVersion, actual: current)))
            }
            let version = current + 1
            cached.stored = StoredObject(entries: entries ?? [:], version: version)
            cached.unflushed += 1
            let write = DurableWrite(object: object, expectedVersion: current, newVersion: version, entries: entries)
            return .success((version, StagedWrite(object: object, write: write, cached: cached, lostSnapshot: cached.lost,
                                                  loop: loop, notify: notify)))
        }
        return try outcome.get()
    }

    /// A marker that completes when everything staged for `object` so far is durable, or
    /// `nil` when it already is (or the object is not cached, so nothing of it is pending).
    func barrier(for object: ObjectIdentity, loop: EventLoop?,
                 notify: @escaping (Result<Void, ObjectStoreError>) -> Void) -> StagedWrite? {
        let notify = UncheckedTransfer(notify)
        return state.withLock { state in
            guard let cached = state.objects.lookup(object), cached.unflushed > 0 else { return nil }
            return StagedWrite(object: object, write: nil, cached: cached, lostSnapshot: cached.lost, loop: loop, notify: notify.value)
        }
    }

    // MARK: Writing

    /// Queues staged writes and starts a transaction on `runner` unless one is being written
    /// (its end starts the next).
    func enqueue(_ writes: [StagedWrite], on runner: BlockingRunner) {
        state.withLock { $0.queued.append(contentsOf: writes) }
        writeNext(on: runner)
    }

    private func writeNext(on runner: BlockingRunner) {
        let batch: [StagedWrite]? = state.withLock { state in
            guard !state.writing, !state.queued.isEmpty else { return nil }
            state.writing = true
            let batch = state.queued
            state.queued = []
            return batch
        }
        guard let batch else { return }
        let (rows, rowOfItem) = Self.collapse(batch)
        guard !rows.isEmpty else {
            // Only barriers: everything they wait for finished with an earlier transaction.
            return finish(batch, rows: [], rowOfItem: rowOfItem, .success([]), on: runner)
        }
        let file = self.file
        let box = ResultBox<[DurableWriteOutcome]>()
        runner.run({
            box.result = Result { try file.write(rows) }
        }, { [self] in
            finish(batch, rows: rows, rowOfItem: rowOfItem, box.result!, on: runner)
        })
    }

    /// The batch's writes as row writes: consecutive commits of one object (each naming the
    /// version the one before made) become one write of its last value over the first one's
    /// expected version, so a hot object costs one row per transaction however many calls
    /// changed it. A write that does not continue the object's chain (one staged after the
    /// object was read again from the file) starts a row of its own, written after.
    /// - Returns: the rows, and for each staged write the index of its row (-1 for barriers).
    static func collapse(_ batch: [StagedWrite]) -> (rows: [DurableWrite], rowOfItem: [Int]) {
        var rows: [DurableWrite] = []
        var rowOfItem = [Int](repeating: -1, count: batch.count)
        var lastRow: [ObjectIdentity: Int] = [:]
        for (index, item) in batch.enumerated() {
            guard let write = item.write else { continue }
            if let row = lastRow[write.object], rows[row].newVersion == write.expectedVersion {
                rows[row] = DurableWrite(object: write.object, expectedVersion: rows[row].expectedVersion,
                                         newVersion: write.newVersion, entries: write.entries)
                rowOfItem[index] = row
            } else {
                lastRow[write.object] = rows.count
                rowOfItem[index] = rows.count
                rows.append(write)
            }
        }
        return (rows, rowOfItem)
    }

    private func finish(_ batch: [StagedWrite], rows: [DurableWrite], rowOfItem: [Int],
                        _ result: Result<[DurableWriteOutcome], any Error>, on runner: BlockingRunner) {
        var fates: [Result<Void, ObjectStoreError>] = []
        fates.reserveCapacity(batch.count)
        let location = file.location
        let idle: [@Sendable () -> Void] = state.withLock { state in
            let rowFates: [Result<Void, ObjectStoreError>] = rows.indices.map { row in
                let write = rows[row]
                switch result {
                case .success(let outcomes):
                    switch outcomes[row] {
                    case .written:
                        return .success(())
                    case .conflict(let actual):
                        return .failure(ObjectStoreError(object: write.object, reason: .conflict(expected: write.expectedVersion, actual: actual)))
                    }
                case .failure(let error):
                    return .failure(ObjectStoreError(object: write.object,
                                                     reason: .unavailable("writing \(location) failed: \(ErrorReport.text(of: error))")))
                }
            }
            // Writes first, then barriers: a barrier fails if a write of its object failed,
            // in this transaction or an earlier one.
            for (index, item) in batch.enumerated() where item.write != nil {
                let fate = rowFates[rowOfItem[index]]
                item.cached.unflushed -= 1
                if case .failure = fate {
                    item.cached.lost += 1
                    state.statistics.failedWrites += 1
                    // The memory is ahead of the file now: forget it, so the next call reads
                    // what the file really holds.
                    if state.objects.lookup(item.object) === item.cached { state.objects.remove(item.object) }
                } else {
                    state.statistics.writes += 1
                }
            }
            for (index, item) in batch.enumerated() {
                if item.write != nil {
                    fates.append(rowFates[rowOfItem[index]])
                } else {
                    fates.append(item.cached.lost == item.lostSnapshot
                        ? .success(())
                        : .failure(ObjectStoreError(object: item.object, reason: .unavailable("the state this call read was not written to \(location)"))))
                }
            }
            if !rows.isEmpty {
                if case .success = result {
                    state.statistics.transactions += 1
                    state.statistics.rowsWritten += rows.count
                } else {
                    state.statistics.failedTransactions += 1
                }
            }
            state.writing = false
            guard state.queued.isEmpty else { return [] }
            let waiters = state.idleWaiters
            state.idleWaiters = []
            return waiters
        }
        for (item, fate) in zip(batch, fates) {
            guard let loop = item.loop, !loop.inLoop else {
                item.notify(fate)
                continue
            }
            // Another loop's call (two loops share the store): told on its own thread. A loop
            // that takes no more work has no caller left to tell.
            let notify = UncheckedTransfer(item.notify)
            try? loop.execute { notify.value(fate) }
        }
        for waiter in idle { waiter() }
        writeNext(on: runner)
    }

    // MARK: ObjectStore, for callers outside the engines (tools, tests)

    public func load(_ object: ObjectIdentity) async throws -> StoredObject? {
        if let cached = cached(object) { return cached }
        return try await withCheckedThrowingContinuation { continuation in
            read(object, on: .dispatch) { continuation.resume(with: $0) }
        }
    }

    public func commit(_ object: ObjectIdentity, entries: ObjectEntries, expectedVersion: UInt64) async throws -> UInt64 {
        try await write(object, entries: entries, expectedVersion: expectedVersion)
    }

    public func delete(_ object: ObjectIdentity) async throws -> Bool {
        guard let stored = try await load(object), !stored.entries.isEmpty else { return false }
        _ = try await write(object, entries: nil, expectedVersion: stored.version)
        return true
    }

    private func write(_ object: ObjectIdentity, entries: ObjectEntries?, expectedVersion: UInt64) async throws -> UInt64 {
        if cached(object) == nil { _ = try await load(object) }
        return try await withCheckedThrowingContinuation { continuation in
            let version = LockedValue<UInt64>(0)
            do {
                let (staged, write) = try stage(object, entries: entries, expectedVersion: expectedVersion, loop: nil) { fate in
                    continuation.resume(with: fate.map { version.withLock { $0 } })
                }
                version.withLock { $0 = staged }
                enqueue([write], on: .dispatch)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    public func identities(classID: String?) async throws -> [ObjectIdentity] {
        try await flush()
        let file = self.file
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try file.identities(classID: classID) }) }
        }
    }

    /// Returns once nothing staged is left to write. Any thread or task.
    public func flush() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard state.writing || !state.queued.isEmpty else { return true }
                state.idleWaiters.append { continuation.resume() }
                return false
            }
            if done { continuation.resume() }
        }
    }

    public func close() async {
        try? await flush()
        file.close()
    }
}

/// One object as cached. Touched only under the store's lock.
final class CachedObject: @unchecked Sendable {
    /// Its state as last committed in memory; `nil` when it does not exist.
    var stored: StoredObject?
    /// Writes staged and not yet finished.
    var unflushed = 0
    /// Writes of it that failed; a barrier taken before a failure fails.
    var lost = 0

    init(stored: StoredObject?) {
        self.stored = stored
    }
}

/// A change decided in memory and waiting for the writer, or (without a write) a barrier
/// that completes once the writes of its object before it are finished. Any thread.
struct StagedWrite: @unchecked Sendable {
    // @unchecked: `cached` is touched only under the store's lock, and `notify` is called
    // only on `loop`'s thread (any thread when `loop` is nil).
    let object: ObjectIdentity
    let write: DurableWrite?
    let cached: CachedObject
    let lostSnapshot: Int
    /// Where `notify` runs: on this loop's thread; on any thread when `nil`.
    let loop: EventLoop?
    let notify: (Result<Void, ObjectStoreError>) -> Void
}

/// What the writer has done. Any thread (a value).
public struct WriteBehindStatistics: Sendable, Equatable {
    /// Transactions committed, and failed.
    public var transactions = 0
    public var failedTransactions = 0
    /// Commits written (one per call that changed its object), and failed.
    public var writes = 0
    public var failedWrites = 0
    /// Rows written: consecutive commits of one object in a transaction are one row.
    public var rowsWritten = 0
    /// Reads from the file (cache misses).
    public var reads = 0
    /// Objects dropped from memory to stay within the capacity.
    public var evictions = 0
    /// Objects in memory now.
    public var cachedObjects = 0
}

/// Where blocking file work runs and where its follow-up comes back: a loop's thread pool
/// (back on the loop) or a dispatch queue (for callers that have no loop). Any thread.
struct BlockingRunner: Sendable {
    let run: @Sendable (_ work: @escaping @Sendable () -> Void, _ then: @escaping @Sendable () -> Void) -> Void

    /// On `loop`'s libuv thread pool, following up on the loop thread. Call `run` on the loop
    /// thread.
    static func pool(of loop: EventLoop) -> BlockingRunner {
        BlockingRunner { work, then in
            loop.runBlocking({ work() }, completion: { _ in then() })
        }
    }

    /// On a global dispatch queue, following up on the same worker.
    static let dispatch = BlockingRunner { work, then in
        DispatchQueue.global().async {
            work()
            then()
        }
    }
}

/// A result written by a pool thread before the loop (or the same worker) reads it; libuv
/// orders the two.
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
