/// Counters of one open `SQLiteObjectFile`, since it was opened.
///
/// A plain value; any thread.
public struct SQLiteFileStatistics: Sendable, Equatable {
    /// Write batches committed (empty batches do not open a transaction and are not counted).
    public var transactionsCommitted: UInt64 = 0
    /// Writes committed, deletes included; conflicts are not counted.
    public var rowsWritten: UInt64 = 0
    /// Write batches rolled back because SQLite failed (disk full, I/O error, ...).
    public var failedTransactions: UInt64 = 0
    /// Writes skipped because the row's version was not the expected one.
    public var conflicts: UInt64 = 0

    /// All zero.
    public init() {}
}
