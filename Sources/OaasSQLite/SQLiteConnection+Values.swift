internal import CSQLite

// Binding parameters and reading columns: the key's three columns, versions and records.

extension SQLiteConnection {
    /// Binds a key to ?1, ?2, ?3. The strings are copied by SQLite (they are short); the
    /// explicit byte count keeps a NUL inside an id from cutting it short.
    func bind(_ key: SQLiteObjectKey, to statement: OpaquePointer, _ operation: String) throws(SQLiteStoreError) {
        try check(bindText(key.classID, to: statement, at: 1), operation)
        try check(sqlite3_bind_int64(statement, 2, Int64(key.partitionID)), operation)
        try check(bindText(key.objectID, to: statement, at: 3), operation)
    }

    /// Binds text, copied.
    func bindText(_ text: String, to statement: OpaquePointer, at index: Int32) -> Int32 {
        let count = sqlite3_uint64(text.utf8.count)
        return sqlite3_bind_text64(statement, index, text, count, oaas_sqlite_transient(), UInt8(SQLITE_UTF8))
    }

    /// Binds a version. Versions are UInt64; SQLite integers are Int64, so the bit pattern is
    /// stored and read back unchanged (ordering in SQL is never needed).
    func bindVersion(_ version: UInt64, to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(bitPattern: version))
    }

    /// Binds bytes without copying them: the caller steps the statement and unbinds them
    /// before `bytes` goes away. Empty bytes bind as a zero-length blob, never as NULL, which
    /// would turn an empty record into a tombstone.
    func bindBorrowedBlob(_ bytes: UnsafeRawBufferPointer, to statement: OpaquePointer, at index: Int32) -> Int32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            return sqlite3_bind_zeroblob(statement, index, 0)
        }
        return sqlite3_bind_blob64(statement, index, base, sqlite3_uint64(bytes.count), oaas_sqlite_static())
    }

    /// A text column; SQLite's docs ask for the pointer first, then the byte count.
    func text(_ statement: OpaquePointer, column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// A version column.
    func version(_ statement: OpaquePointer, column: Int32) -> UInt64 {
        UInt64(bitPattern: sqlite3_column_int64(statement, column))
    }

    /// A record column: nil for NULL (a tombstone), the bytes otherwise.
    func record(_ statement: OpaquePointer, column: Int32, _ operation: String) throws(SQLiteStoreError) -> [UInt8]? {
        if sqlite3_column_type(statement, column) == SQLITE_NULL { return nil }
        let base = sqlite3_column_blob(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        guard let base, count > 0 else {
            // A NULL pointer for a non-empty blob means SQLite ran out of memory copying it.
            if count > 0 { throw error(SQLITE_NOMEM, operation) }
            return []
        }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}
