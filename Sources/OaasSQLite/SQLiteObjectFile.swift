internal import OaasLoop

// Design. The durable embedded object store's file: one SQLite database in WAL mode holding
// one row per object (class id, partition, object id -> version, record). The runtime's
// store calls it from libuv's thread pool and groups the commits of one loop turn into one
// `write`, so a write batch is one transaction and must be cheap; everything here blocks.
//
// Connections. One write connection behind a lock serializes batches (SQLite allows one
// writer at a time anyway). A small pool of read-only connections, handed out under another
// lock, lets reads run while a batch is being written: WAL gives each read the last committed
// snapshot without waiting for the writer. When every reader is busy, a read borrows the
// write connection (waiting for the batch in progress) rather than opening more connections.
// All connections are opened NOMUTEX: these locks already keep each connection on one thread
// at a time, so SQLite's own mutexes would only cost. Statements are prepared once per
// connection, at open.
//
// Errors. SQLite's result codes become `SQLiteStoreError` in one place
// (SQLiteStoreError+ResultCode.swift, reached through `SQLiteConnection.check`/`error`). A
// failed batch is rolled back whole; after SQLITE_FULL the same open file writes again once
// there is room, because rolling back clears the pager's error state.

/// A durable file of versioned objects, written in compare-and-set batches.
///
/// Every method blocks on disk I/O: call it from any thread but a loop thread (the runtime
/// runs it on libuv's thread pool). Reads run concurrently with a write; writes are
/// serialized.
public final class SQLiteObjectFile: Sendable {
    /// The schema version this runtime writes; a file with a higher one is refused.
    public static let schemaVersion: Int = SQLiteSchema.version

    /// The database file's path as given to `open`.
    public let path: String
    /// How commits are synced.
    public let synchronous: SQLiteSynchronous

    /// The write connection; nil once closed. Held for a whole batch.
    let writer: LockedValue<SQLiteConnection?>
    /// The idle read connections.
    let readers: LockedValue<ReaderPool>
    let counters = LockedValue(SQLiteFileStatistics())
    /// SQLite's page limit before any was set, which `setMaxPageCount(nil)` restores.
    let defaultMaxPageCount: Int64

    struct ReaderPool {
        var idle: [SQLiteConnection]
        var isClosed = false
    }

    private init(
        path: String, synchronous: SQLiteSynchronous, writer: SQLiteConnection,
        readers: [SQLiteConnection], defaultMaxPageCount: Int64
    ) {
        self.path = path
        self.synchronous = synchronous
        self.writer = LockedValue(writer)
        self.readers = LockedValue(ReaderPool(idle: readers))
        self.defaultMaxPageCount = defaultMaxPageCount
    }

    deinit { close() }

    /// Opens the file, creating it and its missing parent directories, in WAL mode.
    ///
    /// Any thread but a loop thread: blocks on disk I/O.
    /// - Parameters:
    ///   - path: the database file; its `-wal` and `-shm` companions live next to it.
    ///   - synchronous: `.normal` (a power cut may lose the last commits, never the file) or
    ///     `.full` (each commit synced).
    ///   - maxPageCount: a limit on the file's size in pages (4 KiB each), nil for SQLite's
    ///     default; writes beyond it fail `.diskFull` as a full disk would.
    ///   - readers: read-only connections for concurrent reads; 0 makes reads use the writer.
    /// - Throws: `.cannotOpen` or `.readOnly` when the file or its directory cannot be created
    ///   or written, `.notADatabase` for a file that is not SQLite, `.corrupt` for a damaged
    ///   one, `.newerSchema` for a file written by a newer runtime, `.busy` when another
    ///   process holds it locked.
    public static func open(
        path: String, synchronous: SQLiteSynchronous = .normal, maxPageCount: Int? = nil, readers: Int = 2
    ) throws(SQLiteStoreError) -> SQLiteObjectFile {
        precondition(readers >= 0, "readers must not be negative")
        try createParentDirectories(of: path)
        let writer = try SQLiteConnection.open(path: path, isReader: false)
        let defaultMaxPageCount = try prepareFile(writer, synchronous: synchronous)
        if let maxPageCount { try setMaxPageCount(maxPageCount, on: writer) }
        try writer.prepareStatements()
        var pool: [SQLiteConnection] = []
        for _ in 0..<readers {
            let reader = try SQLiteConnection.open(path: path, isReader: true)
            try reader.prepareStatements()
            pool.append(reader)
        }
        return SQLiteObjectFile(
            path: path, synchronous: synchronous, writer: writer, readers: pool,
            defaultMaxPageCount: defaultMaxPageCount)
    }

    /// Checks the schema version, turns on WAL and the sync level, and creates the schema if
    /// absent. Returns SQLite's default page limit.
    private static func prepareFile(
        _ writer: SQLiteConnection, synchronous: SQLiteSynchronous
    ) throws(SQLiteStoreError) -> Int64 {
        // The first read of the file: garbage fails here as SQLITE_NOTADB, a truncated file
        // as SQLITE_CORRUPT, instead of at some later call. Plain "open": this is where a bad
        // file shows, and that is all its reader needs to know.
        let found = Int(try writer.singleInteger("PRAGMA user_version", "open") ?? 0)
        guard found <= schemaVersion else {
            throw SQLiteStoreError(
                kind: .newerSchema(found: found, supported: schemaVersion), path: writer.path,
                operation: "open", code: 0,
                detail: "schema version \(found) was written by a newer runtime; this one supports up to \(schemaVersion)")
        }
        let mode = try writer.singleText("PRAGMA journal_mode = WAL", "open: journal_mode")
        guard mode?.lowercased() == "wal" else {
            throw SQLiteStoreError(
                kind: .other, path: writer.path, operation: "open", code: 0,
                detail: "journal_mode is \(mode ?? "unknown"), not wal (in-memory databases and some network file systems cannot use WAL)")
        }
        let level = synchronous == .full ? "FULL" : "NORMAL"
        try writer.execute("PRAGMA synchronous = \(level)", "open: synchronous")
        let defaultMaxPageCount = try writer.singleInteger("PRAGMA max_page_count", "open: max_page_count") ?? 0
        if found < SQLiteSchema.version {
            do throws(SQLiteStoreError) {
                try writer.execute(SQLiteSchema.createVersion1, "open: create schema")
            } catch {
                if writer.inTransaction { try? writer.execute("ROLLBACK", "open: rollback") }
                throw error
            }
        }
        return defaultMaxPageCount
    }

    static func setMaxPageCount(_ pages: Int64, on writer: SQLiteConnection) throws(SQLiteStoreError) {
        // Only the writer allocates pages, so only its limit matters. SQLite quietly keeps
        // the limit at the file's current size when asked for less.
        try writer.execute("PRAGMA max_page_count = \(pages)", "setMaxPageCount")
    }

    private static func setMaxPageCount(_ pages: Int, on writer: SQLiteConnection) throws(SQLiteStoreError) {
        precondition(pages > 0, "maxPageCount must be positive")
        try setMaxPageCount(Int64(pages), on: writer)
    }
}
