internal import CSQLite

/// One SQLite connection with its prepared statements.
///
/// Opened with SQLITE_OPEN_NOMUTEX: SQLite does no locking of its own, so exactly one thread
/// at a time may use a connection. `SQLiteObjectFile` guarantees that with its locks (the
/// writer behind one, each reader handed out under another). Not Sendable for that reason.
final class SQLiteConnection {
    /// The database file, for error messages.
    let path: String
    /// Whether this is a reader (opened read-only, prepares only the read statements).
    let isReader: Bool
    private let db: OpaquePointer
    private var statements: [OpaquePointer?]
    private var isClosed = false

    /// How long a statement waits for a lock another process holds before failing BUSY.
    /// Within the process it never waits: WAL readers do not block the one writer.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    private init(path: String, isReader: Bool, db: OpaquePointer) {
        self.path = path
        self.isReader = isReader
        self.db = db
        self.statements = Array(repeating: nil, count: SQLiteStatement.allCases.count)
    }

    deinit { close() }

    /// Opens the file. The writer creates it if missing; a reader needs it to exist.
    /// Refuses a file SQLite could only open read-only when asked for a writer.
    static func open(path: String, isReader: Bool) throws(SQLiteStoreError) -> SQLiteConnection {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= isReader ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else {
            throw SQLiteStoreError(sqliteCode: code, path: path, operation: "open", message: nil)
        }
        // From here the connection owns the handle and closes it on every way out.
        let connection = SQLiteConnection(path: path, isReader: isReader, db: handle)
        try connection.check(code, "open")
        // SQLite silently falls back to read-only when the file or its file system cannot be
        // written; the writer would only learn that at its first commit.
        if !isReader && sqlite3_db_readonly(handle, "main") == 1 {
            throw SQLiteStoreError(
                kind: .readOnly, path: path, operation: "open", code: 0,
                detail: "the file can only be opened read-only (file or file system not writable)")
        }
        try connection.check(sqlite3_busy_timeout(handle, busyTimeoutMilliseconds), "open: busy timeout")
        return connection
    }

    /// Prepares the statements this kind of connection runs; needs the schema to exist.
    func prepareStatements() throws(SQLiteStoreError) {
        for statement in SQLiteStatement.prepared(readOnly: isReader) {
            var prepared: OpaquePointer?
            // PERSISTENT: these live as long as the connection, so SQLite keeps them out of
            // its short-lived lookaside memory.
            let code = sqlite3_prepare_v3(
                db, statement.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            try check(code, "open: prepare \(statement)")
            statements[statement.rawValue] = prepared
        }
    }

    /// The prepared statement; it must be one this connection prepared.
    func statement(_ which: SQLiteStatement) -> OpaquePointer {
        guard let prepared = statements[which.rawValue] else {
            preconditionFailure("\(which) is not prepared on this \(isReader ? "reader" : "writer")")
        }
        return prepared
    }

    // MARK: turning result codes into errors

    /// The error for a failed call on this connection, with SQLite's message for it.
    func error(_ code: Int32, _ operation: String) -> SQLiteStoreError {
        // The message belongs to the most recent failure on the connection, which is this one
        // as long as nothing else ran on it since.
        let message = sqlite3_errmsg(db).map { String(cString: $0) }
        return SQLiteStoreError(sqliteCode: code, path: path, operation: operation, message: message)
    }

    /// Throws unless `code` means success (OK, ROW or DONE).
    func check(_ code: Int32, _ operation: String) throws(SQLiteStoreError) {
        guard SQLiteStoreError.isSuccess(code) else { throw error(code, operation) }
    }

    // MARK: running statements

    /// Runs SQL text that returns at most rows nobody reads; for setup, not the hot path.
    func execute(_ sql: String, _ operation: String) throws(SQLiteStoreError) {
        try check(sqlite3_exec(db, sql, nil, nil, nil), operation)
    }

    /// Runs a one-row statement (a pragma) and returns its first column as text, nil when it
    /// returns no row.
    func singleText(_ sql: String, _ operation: String) throws(SQLiteStoreError) -> String? {
        var prepared: OpaquePointer?
        try check(sqlite3_prepare_v2(db, sql, -1, &prepared, nil), operation)
        defer { sqlite3_finalize(prepared) }
        guard let prepared, try step(prepared, operation) else { return nil }
        return text(prepared, column: 0)
    }

    /// Runs a one-row statement and returns its first column as an integer.
    func singleInteger(_ sql: String, _ operation: String) throws(SQLiteStoreError) -> Int64? {
        var prepared: OpaquePointer?
        try check(sqlite3_prepare_v2(db, sql, -1, &prepared, nil), operation)
        defer { sqlite3_finalize(prepared) }
        guard let prepared, try step(prepared, operation) else { return nil }
        return sqlite3_column_int64(prepared, 0)
    }

    /// Steps a statement: true for a row, false when done.
    func step(_ statement: OpaquePointer, _ operation: String) throws(SQLiteStoreError) -> Bool {
        let code = sqlite3_step(statement)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw error(code, operation)
    }

    /// Rows the last INSERT, UPDATE or DELETE on this connection changed.
    var changedRows: Int64 { sqlite3_changes64(db) }

    /// Runs a statement without parameters or rows (BEGIN, COMMIT, ROLLBACK).
    func run(_ which: SQLiteStatement, _ operation: String) throws(SQLiteStoreError) {
        let prepared = statement(which)
        defer { sqlite3_reset(prepared) }
        _ = try step(prepared, operation)
    }

    /// Whether a transaction is open: after some failures (SQLITE_FULL among them) SQLite may
    /// or may not have rolled it back by itself.
    var inTransaction: Bool { sqlite3_get_autocommit(db) == 0 }

    /// Finalizes the statements and closes the handle; idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        for case let prepared? in statements { sqlite3_finalize(prepared) }
        statements = []
        // Cannot fail BUSY: every statement was finalized (the pragma helpers finalize theirs).
        sqlite3_close(db)
    }
}
