/// Names one object in the file: its class, its partition and its id within them.
///
/// A plain value; any thread.
public struct SQLiteObjectKey: Hashable, Sendable {
    /// The object's class.
    public let classID: String
    /// The partition the object belongs to.
    public let partitionID: UInt32
    /// The object's id, unique within its class and partition.
    public let objectID: String

    /// Makes a key. Any string is allowed, the empty one and ones holding NUL included:
    /// they are stored byte for byte.
    public init(classID: String, partitionID: UInt32, objectID: String) {
        self.classID = classID
        self.partitionID = partitionID
        self.objectID = objectID
    }
}
