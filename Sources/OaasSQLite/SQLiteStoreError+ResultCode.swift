internal import CSQLite

// The one place where SQLite's result codes become Swift errors.

extension SQLiteStoreError {
    /// Whether `code` (a primary or extended result code) means success: SQLite reports a row
    /// or the end of a statement with codes of their own, not with SQLITE_OK.
    static func isSuccess(_ code: Int32) -> Bool {
        code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE
    }

    /// The error for a failed SQLite call.
    /// - Parameters:
    ///   - code: the extended result code (the low byte is the primary code).
    ///   - message: SQLite's message for the connection, when there is one; a generic text
    ///     for the code otherwise.
    init(sqliteCode code: Int32, path: String, operation: String, message: String?) {
        let detail = message ?? String(cString: sqlite3_errstr(code))
        self.init(kind: Self.kind(of: code), path: path, operation: operation, code: code, detail: detail)
    }

    /// Sorts a result code into the kinds callers act on; the primary code decides.
    static func kind(of code: Int32) -> Kind {
        switch code & 0xFF {
        case SQLITE_CANTOPEN, SQLITE_PERM: .cannotOpen
        case SQLITE_NOTADB: .notADatabase
        case SQLITE_READONLY: .readOnly
        case SQLITE_FULL: .diskFull
        case SQLITE_CORRUPT: .corrupt
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_IOERR: .ioError
        default: .other
        }
    }

    /// The C name of a result code's primary code, with the extended code when it differs,
    /// so that a person can look it up: "SQLITE_IOERR, extended 778".
    static func codeName(_ code: Int32) -> String {
        let primary = code & 0xFF
        let name = primaryNames[primary] ?? "SQLite result \(primary)"
        return primary == code ? name : "\(name), extended \(code)"
    }

    private static let primaryNames: [Int32: String] = [
        SQLITE_ERROR: "SQLITE_ERROR", SQLITE_INTERNAL: "SQLITE_INTERNAL", SQLITE_PERM: "SQLITE_PERM",
        SQLITE_ABORT: "SQLITE_ABORT", SQLITE_BUSY: "SQLITE_BUSY", SQLITE_LOCKED: "SQLITE_LOCKED",
        SQLITE_NOMEM: "SQLITE_NOMEM", SQLITE_READONLY: "SQLITE_READONLY",
        SQLITE_INTERRUPT: "SQLITE_INTERRUPT", SQLITE_IOERR: "SQLITE_IOERR",
        SQLITE_CORRUPT: "SQLITE_CORRUPT", SQLITE_NOTFOUND: "SQLITE_NOTFOUND", SQLITE_FULL: "SQLITE_FULL",
        SQLITE_CANTOPEN: "SQLITE_CANTOPEN", SQLITE_PROTOCOL: "SQLITE_PROTOCOL",
        SQLITE_EMPTY: "SQLITE_EMPTY", SQLITE_SCHEMA: "SQLITE_SCHEMA", SQLITE_TOOBIG: "SQLITE_TOOBIG",
        SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT", SQLITE_MISMATCH: "SQLITE_MISMATCH",
        SQLITE_MISUSE: "SQLITE_MISUSE", SQLITE_NOLFS: "SQLITE_NOLFS", SQLITE_AUTH: "SQLITE_AUTH",
        SQLITE_FORMAT: "SQLITE_FORMAT", SQLITE_RANGE: "SQLITE_RANGE", SQLITE_NOTADB: "SQLITE_NOTADB",
    ]
}
