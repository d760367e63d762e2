/// What happened to one write of a batch.
///
/// A plain value; any thread.
public enum SQLiteWriteOutcome: Sendable, Equatable {
    /// The row now has the write's new version and record.
    case written
    /// The row's version was not the expected one, so the write was skipped. `actual` is the
    /// row's version at that point of the batch, 0 when there was no row.
    case conflict(actual: UInt64)
}
