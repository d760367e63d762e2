import OaasLoop

/// One loop's front to a ``WriteBehindStore``: reads on that loop's thread pool, and the
/// group commit of the loop's turn (the writes staged during a turn go to the writer together
/// when the turn ends).
///
/// Shared by every engine of the loop. Loop-confined: every member on the loop's thread, and
/// every completion comes back there.
final class WriteBehindSession: LoopTurnObserver {
    let store: WriteBehindStore
    let loop: EventLoop
    private let runner: BlockingRunner
    private var turnWrites: [StagedWrite] = []

    init(store: WriteBehindStore, loop: EventLoop) {
        self.store = store
        self.loop = loop
        runner = .pool(of: loop)
    }

    /// The object if cached: `.some(nil)` when known not to exist; `nil` when it must be read.
    func cached(_ object: ObjectIdentity) -> StoredObject?? {
        store.cached(object)
    }

    /// Reads `object` (from memory if cached meanwhile) and calls `completion` on the loop.
    func load(_ object: ObjectIdentity, completion: @escaping (Result<StoredObject?, ObjectStoreError>) -> Void) {
        assert(loop.inLoop)
        let done = UncheckedTransfer(completion)
        store.read(object, on: runner) { done.value($0) }
    }

    /// Commits `entries` over `expectedVersion` in memory now (see
    /// ``WriteBehindStore/stage(_:entries:expectedVersion:notify:)``) and writes it with this
    /// turn's group; `durable` runs on the loop once the write committed or failed.
    /// - Throws: ``ObjectStoreError`` `.conflict`, with nothing staged.
    func stage(_ object: ObjectIdentity, entries: ObjectEntries?, expectedVersion: UInt64,
               durable: @escaping (Result<Void, ObjectStoreError>) -> Void) throws(ObjectStoreError) -> UInt64 {
        assert(loop.inLoop)
        let (version, write) = try store.stage(object, entries: entries, expectedVersion: expectedVersion,
                                               loop: loop, notify: durable)
        add(write)
        return version
    }

    /// Calls `completion` on the loop once everything staged for `object` so far is durable:
    /// at once when nothing is pending.
    func afterDurable(_ object: ObjectIdentity, completion: @escaping (Result<Void, ObjectStoreError>) -> Void) {
        assert(loop.inLoop)
        guard let barrier = store.barrier(for: object, loop: loop, notify: completion) else { return completion(.success(())) }
        add(barrier)
    }

    private func add(_ write: StagedWrite) {
        if turnWrites.isEmpty { loop.requestTurnEnd(self) }
        turnWrites.append(write)
    }

    func loopTurnWillEnd() {
        let writes = turnWrites
        turnWrites.removeAll(keepingCapacity: true)
        store.enqueue(writes, on: runner)
    }
}
