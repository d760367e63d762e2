/// One compare-and-set write of a batch handed to `SQLiteObjectFile.write(_:)`.
///
/// A plain value; any thread.
public struct SQLiteObjectWrite: Sendable {
    /// The object written.
    public let key: SQLiteObjectKey
    /// The version the row must have for the write to happen; 0 means "no row".
    public let expectedVersion: UInt64
    /// The version the row has after the write.
    public let newVersion: UInt64
    /// The new bytes, or `nil` to delete: the row then stays as a tombstone at `newVersion`.
    public let record: [UInt8]?

    /// Makes a write.
    /// - Parameters:
    ///   - key: the object written.
    ///   - expectedVersion: the version the row must have now; 0 when it must not exist.
    ///   - newVersion: the version it gets.
    ///   - record: the new bytes, `nil` for a delete.
    public init(key: SQLiteObjectKey, expectedVersion: UInt64, newVersion: UInt64, record: [UInt8]?) {
        self.key = key
        self.expectedVersion = expectedVersion
        self.newVersion = newVersion
        self.record = record
    }
}
