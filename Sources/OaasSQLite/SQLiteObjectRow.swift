/// What the file holds for one key.
///
/// A plain value; any thread.
public struct SQLiteObjectRow: Sendable, Equatable {
    /// The version of the last write, deletes included.
    public let version: UInt64
    /// The object's bytes; `nil` when the object was deleted. The row stays as a tombstone so
    /// its version keeps counting and a stale writer still meets a conflict.
    public let record: [UInt8]?

    /// Makes a row; the file builds these, tests compare against them.
    public init(version: UInt64, record: [UInt8]?) {
        self.version = version
        self.record = record
    }
}
