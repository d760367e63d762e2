internal import OaasLoop

extension SQLiteObjectFile {
    /// The row stored for `key`, a tombstone included (its `record` is nil); nil when the key
    /// was never written.
    ///
    /// Any thread but a loop thread: blocks on disk I/O. Runs concurrently with a write and
    /// sees the last committed batch.
    /// - Throws: `SQLiteStoreError`, `.other` once the file is closed.
    public func read(_ key: SQLiteObjectKey) throws(SQLiteStoreError) -> SQLiteObjectRow? {
        try withReader("read") { connection throws(SQLiteStoreError) in try connection.readRow(key) }
    }

    /// Applies a batch of compare-and-set writes in one transaction (BEGIN IMMEDIATE … COMMIT),
    /// in order, so a later write of the batch sees the earlier ones.
    ///
    /// A write whose `expectedVersion` differs from the row's version (0 when there is no row,
    /// a tombstone's version when it was deleted) is skipped and reported `.conflict`; the
    /// others are written. If the transaction fails (disk full, I/O error) it is rolled back
    /// entirely and the error thrown: nothing of the batch is written, and the file takes
    /// writes again once the cause is gone. An empty batch touches nothing.
    ///
    /// Any thread but a loop thread: blocks on disk I/O, and on a batch another thread is
    /// writing.
    /// - Returns: one outcome per write, in the batch's order.
    /// - Throws: `SQLiteStoreError` (`.diskFull`, `.ioError`, `.busy`, ...); `.other` once
    ///   the file is closed.
    public func write(_ batch: [SQLiteObjectWrite]) throws(SQLiteStoreError) -> [SQLiteWriteOutcome] {
        try withWriter("write") { connection throws(SQLiteStoreError) in
            guard !batch.isEmpty else { return [] }
            var outcomes: [SQLiteWriteOutcome] = []
            outcomes.reserveCapacity(batch.count)
            do throws(SQLiteStoreError) {
                try connection.run(.begin, "write: begin")
                for write in batch { outcomes.append(try connection.apply(write)) }
                try connection.run(.commit, "write: commit")
            } catch {
                // SQLite rolls back by itself after some failures and not after others.
                if connection.inTransaction { try? connection.run(.rollback, "write: rollback") }
                counters.withLock { $0.failedTransactions += 1 }
                throw error
            }
            let conflicts = outcomes.count(where: { $0 != .written })
            counters.withLock {
                $0.transactionsCommitted += 1
                $0.rowsWritten += UInt64(outcomes.count - conflicts)
                $0.conflicts += UInt64(conflicts)
            }
            return outcomes
        }
    }

    /// Keys of live objects (tombstones left out), of one class or of all when `classID` is
    /// nil, sorted by class id, partition, object id (strings in UTF-8 byte order).
    ///
    /// Any thread but a loop thread: blocks on disk I/O, and reads the whole key range.
    /// - Throws: `SQLiteStoreError`, `.other` once the file is closed.
    public func keys(classID: String?) throws(SQLiteStoreError) -> [SQLiteObjectKey] {
        try withReader("keys") { connection throws(SQLiteStoreError) in try connection.liveKeys(classID: classID) }
    }

    /// The classes that have at least one live object, sorted (UTF-8 byte order).
    ///
    /// Any thread but a loop thread: blocks on disk I/O.
    /// - Throws: `SQLiteStoreError`, `.other` once the file is closed.
    public func classIDs() throws(SQLiteStoreError) -> [String] {
        try withReader("classIDs") { connection throws(SQLiteStoreError) in try connection.liveClassIDs() }
    }

    /// Limits the file to `pages` pages (4 KiB each), or restores SQLite's default with nil;
    /// for tests and operators. A limit below the file's current size keeps the current size.
    ///
    /// Any thread but a loop thread: waits for a batch in progress.
    /// - Throws: `SQLiteStoreError`, `.other` once the file is closed.
    public func setMaxPageCount(_ pages: Int?) throws(SQLiteStoreError) {
        precondition(pages.map { $0 > 0 } ?? true, "maxPageCount must be positive")
        try withWriter("setMaxPageCount") { connection throws(SQLiteStoreError) in
            try Self.setMaxPageCount(pages.map { Int64($0) } ?? defaultMaxPageCount, on: connection)
        }
    }

    /// Closes every connection; later calls throw `.other`. Idempotent. A read in progress on
    /// another thread finishes and closes its connection when it hands it back.
    ///
    /// Any thread but a loop thread: waits for a batch in progress, and SQLite checkpoints
    /// the WAL into the file when the last connection closes.
    public func close() {
        // Readers first: the last connection to close checkpoints and removes the WAL, which
        // only the writer can do.
        let idle = readers.withLock { pool in
            pool.isClosed = true
            defer { pool.idle = [] }
            return pool.idle
        }
        for reader in idle { reader.close() }
        let connection = writer.withLock { connection in
            defer { connection = nil }
            return connection
        }
        connection?.close()
    }

    /// Counters since open.
    ///
    /// Any thread, loop threads included: takes a lock that is only held for a few
    /// instructions.
    public var statistics: SQLiteFileStatistics { counters.withLock { $0 } }

    // MARK: connections

    /// Runs `body` on an idle reader, or on the writer when there is none.
    private func withReader<R>(
        _ operation: String, _ body: (SQLiteConnection) throws(SQLiteStoreError) -> R
    ) throws(SQLiteStoreError) -> R {
        guard let reader = readers.withLock({ $0.idle.popLast() }) else {
            return try withWriter(operation, body)
        }
        defer {
            let closeNow = readers.withLock { pool in
                if !pool.isClosed { pool.idle.append(reader) }
                return pool.isClosed
            }
            if closeNow { reader.close() }
        }
        return try body(reader)
    }

    /// Runs `body` on the writer, holding its lock throughout.
    private func withWriter<R>(
        _ operation: String, _ body: (SQLiteConnection) throws(SQLiteStoreError) -> R
    ) throws(SQLiteStoreError) -> R {
        // LockedValue.withLock rethrows, which would widen the error to `any Error`; the
        // outcome crosses it as a Result instead.
        let outcome: Result<R, SQLiteStoreError> = writer.withLock { connection in
            guard let connection else {
                return .failure(SQLiteStoreError(
                    kind: .other, path: path, operation: operation, code: 0, detail: "the object file is closed"))
            }
            do throws(SQLiteStoreError) { return .success(try body(connection)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
