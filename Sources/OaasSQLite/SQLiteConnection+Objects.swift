internal import CSQLite

// The object operations, on whichever connection the file hands out. Every statement is
// reset on the way out, so it holds no read snapshot open between calls.

extension SQLiteConnection {
    /// The row for `key`, tombstones included.
    func readRow(_ key: SQLiteObjectKey) throws(SQLiteStoreError) -> SQLiteObjectRow? {
        let select = statement(.selectRow)
        defer { sqlite3_reset(select) }
        try bind(key, to: select, "read")
        guard try step(select, "read") else { return nil }
        return SQLiteObjectRow(version: version(select, column: 0), record: try record(select, column: 1, "read"))
    }

    /// Applies one write of a batch inside the caller's transaction.
    func apply(_ write: SQLiteObjectWrite) throws(SQLiteStoreError) -> SQLiteWriteOutcome {
        // An existing object changes (the common case): an UPDATE guarded by the version. A
        // new one: an INSERT that does nothing over an existing row (a tombstone included).
        let changed = write.expectedVersion != 0
            ? try change(.updateIfVersion, write)
            : try change(.insertNew, write)
        if changed { return .written }
        return .conflict(actual: try currentVersion(write.key))
    }

    /// Runs the update or insert of `write` and says whether it changed a row.
    private func change(_ which: SQLiteStatement, _ write: SQLiteObjectWrite) throws(SQLiteStoreError) -> Bool {
        let prepared = statement(which)
        try bind(write.key, to: prepared, "write")
        try check(bindVersion(write.newVersion, to: prepared, at: 4), "write")
        if which == .updateIfVersion { try check(bindVersion(write.expectedVersion, to: prepared, at: 6), "write") }
        let failure: SQLiteStoreError?
        if let record = write.record {
            failure = record.withUnsafeBytes { bytes in
                defer {
                    sqlite3_reset(prepared)
                    // SQLite keeps a borrowed pointer until the parameter is rebound.
                    sqlite3_bind_null(prepared, 5)
                }
                var code = bindBorrowedBlob(bytes, to: prepared, at: 5)
                if code == SQLITE_OK { code = sqlite3_step(prepared) }
                return code == SQLITE_DONE ? nil : error(code, "write")
            }
        } else {
            defer { sqlite3_reset(prepared) }
            var code = sqlite3_bind_null(prepared, 5)
            if code == SQLITE_OK { code = sqlite3_step(prepared) }
            failure = code == SQLITE_DONE ? nil : error(code, "write")
        }
        if let failure { throw failure }
        return changedRows == 1
    }

    /// The row's version, 0 when there is none.
    private func currentVersion(_ key: SQLiteObjectKey) throws(SQLiteStoreError) -> UInt64 {
        let select = statement(.selectVersion)
        defer { sqlite3_reset(select) }
        try bind(key, to: select, "write")
        return try step(select, "write") ? version(select, column: 0) : 0
    }

    /// Keys of live objects, of one class or all, in key order.
    func liveKeys(classID: String?) throws(SQLiteStoreError) -> [SQLiteObjectKey] {
        let select = statement(classID == nil ? .keysAll : .keysOfClass)
        defer { sqlite3_reset(select) }
        if let classID { try check(bindText(classID, to: select, at: 1), "keys") }
        var keys: [SQLiteObjectKey] = []
        while try step(select, "keys") {
            keys.append(SQLiteObjectKey(
                classID: text(select, column: 0),
                partitionID: UInt32(truncatingIfNeeded: sqlite3_column_int64(select, 1)),
                objectID: text(select, column: 2)))
        }
        return keys
    }

    /// Classes with at least one live object, sorted.
    func liveClassIDs() throws(SQLiteStoreError) -> [String] {
        let select = statement(.classIDs)
        defer { sqlite3_reset(select) }
        var classIDs: [String] = []
        while try step(select, "classIDs") { classIDs.append(text(select, column: 0)) }
        return classIDs
    }
}
