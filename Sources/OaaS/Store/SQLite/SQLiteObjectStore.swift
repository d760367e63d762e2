import Foundation
import OaasLoop
import OaasSQLite
#if canImport(Glibc)
import Glibc
#endif

/// The durable embedded store: objects in a SQLite file (WAL mode), served from memory and
/// written behind the calls in groups (see ``WriteBehindStore`` for the promises).
///
/// One serving process per file: opening takes an exclusive lock on `<file>.lock`, and a
/// second process asking for the same file is refused, naming the holder. Several processes
/// sharing objects is what the `nats-kv` store is for. Tools that only read (`demo objects`)
/// open the file without the lock. Within a process, opening the same file again gives the
/// store already open.
public enum SQLiteObjectStore {
    private static let openStores = LockedValue<[String: WeakStore]>([:])

    private struct WeakStore {
        weak var store: WriteBehindStore?
    }

    /// Opens (creating it and its directories if needed) the file at `path`.
    /// - Parameters:
    ///   - exclusive: take the serving lock; `false` for tools that only read.
    /// - Throws: ``ObjectStoreOpenError`` naming the file and the cause (not a database, a
    ///   newer schema, a directory that cannot be written, another process serving it).
    /// Blocks while it opens: any thread but a loop thread.
    public static func open(path: String, synchronous: StoreURL.SQLiteSync = .normal, cacheCapacity: Int = 100_000,
                            exclusive: Bool = true) throws(ObjectStoreOpenError) -> WriteBehindStore {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let shown = "sqlite:\(path)"
        if exclusive, let open = openStores.withLock({ $0[absolute]?.store }),
           (open.file as? SQLiteDurableFile)?.isClosed == false {
            return open
        }
        let directory = (absolute as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ObjectStoreOpenError(store: shown, cause: "cannot create the directory \(directory): \(error.localizedDescription)")
        }
        var lock: ProcessFileLock?
        if exclusive {
            do {
                lock = try ProcessFileLock(path: absolute + ".lock")
            } catch {
                throw ObjectStoreOpenError(store: shown, cause: error.message)
            }
        }
        let file: SQLiteObjectFile
        do {
            file = try SQLiteObjectFile.open(path: absolute, synchronous: synchronous == .full ? .full : .normal)
        } catch {
            throw ObjectStoreOpenError(store: shown, cause: error.description)
        }
        let store = WriteBehindStore(file: SQLiteDurableFile(file: file, lock: lock), cacheCapacity: cacheCapacity)
        if exclusive { openStores.withLock { $0[absolute] = WeakStore(store: store) } }
        return store
    }
}

/// ``DurableObjectFile`` over a ``SQLiteObjectFile``: objects as ``ObjectRecord`` bytes, encoded
/// and decoded on the thread that does the I/O. Any thread but a loop thread.
final class SQLiteDurableFile: DurableObjectFile, @unchecked Sendable {
    // @unchecked: `file` is thread-safe; `lock` is only released by `close`, under its own lock.
    private let file: SQLiteObjectFile
    private let lock: LockedValue<ProcessFileLock?>
    private let closed = LockedValue(false)

    init(file: SQLiteObjectFile, lock: ProcessFileLock?) {
        self.file = file
        self.lock = LockedValue(lock)
    }

    var location: String { file.path }

    func read(_ object: ObjectIdentity) throws -> StoredObject? {
        guard let row = try file.read(Self.key(object)) else { return nil }
        guard let record = row.record else { return StoredObject(entries: [:], version: row.version) }
        let decoded = try ObjectRecord.decode(record)
        if let named = decoded.identity, named != object {
            throw ObjectRecordError(reason: "the record stored for \(object) names \(named)")
        }
        return StoredObject(entries: decoded.entries, version: row.version)
    }

    func write(_ batch: [DurableWrite]) throws -> [DurableWriteOutcome] {
        let writes = batch.map { write in
            SQLiteObjectWrite(key: Self.key(write.object), expectedVersion: write.expectedVersion, newVersion: write.newVersion,
                              record: write.entries.map { ObjectRecord.encode(write.object, entries: $0) })
        }
        return try file.write(writes).map { outcome in
            switch outcome {
            case .written: .written
            case .conflict(let actual): .conflict(actual: actual)
            }
        }
    }

    func identities(classID: String?) throws -> [ObjectIdentity] {
        try file.keys(classID: classID).map { ObjectIdentity(classID: $0.classID, partitionID: $0.partitionID, objectID: $0.objectID) }
    }

    func close() {
        file.close()
        lock.withLock { $0 = nil }
        closed.withLock { $0 = true }
    }

    /// Whether ``close()`` ran: a closed file is opened anew, not shared.
    var isClosed: Bool { closed.withLock { $0 } }

    private static func key(_ object: ObjectIdentity) -> SQLiteObjectKey {
        SQLiteObjectKey(classID: object.classID, partitionID: object.partitionID, objectID: object.objectID)
    }
}
