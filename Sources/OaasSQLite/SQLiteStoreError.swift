/// A failure of the object file, with the path and the operation that failed.
///
/// Built in one place from SQLite's result codes (`SQLiteStoreError+ResultCode.swift`) or,
/// for what SQLite does not see (creating directories, a schema from a newer runtime),
/// directly with `code` 0. A plain value; any thread.
public struct SQLiteStoreError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, coarse enough to act on.
    public enum Kind: Sendable, Equatable {
        /// The file or its directory could not be opened or created.
        case cannotOpen
        /// The file exists but is not an SQLite database.
        case notADatabase
        /// The file, its directory or its file system can only be read.
        case readOnly
        /// The disk, or the page limit set with `maxPageCount`, is full.
        case diskFull
        /// The file was written by a newer runtime with a schema this one does not know.
        case newerSchema(found: Int, supported: Int)
        /// The file is an SQLite database whose contents are damaged.
        case corrupt
        /// Another process holds the file locked for longer than the busy timeout.
        case busy
        /// The operating system failed a read or a write.
        case ioError
        /// Anything else, including a use of a closed file.
        case other
    }

    /// What went wrong.
    public let kind: Kind
    /// The database file's path as given to `open`.
    public let path: String
    /// What was being done, e.g. "open", "write", "read".
    public let operation: String
    /// SQLite's extended result code, 0 when the error did not come from SQLite.
    public let code: Int32
    /// SQLite's message, or ours when the error did not come from SQLite.
    public let detail: String

    /// Makes an error; `code` 0 when it did not come from SQLite.
    public init(kind: Kind, path: String, operation: String, code: Int32, detail: String) {
        self.kind = kind
        self.path = path
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    /// One line naming the file, the operation, what happened and SQLite's code, e.g.
    /// `sqlite /data/oaas.db: open: file is not a database (SQLITE_NOTADB)`.
    public var description: String {
        let line = "sqlite \(path): \(operation): \(detail)"
        guard code != 0 else { return line }
        return "\(line) (\(Self.codeName(code)))"
    }
}
