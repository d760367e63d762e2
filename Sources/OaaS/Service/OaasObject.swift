#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The base class of every OaaS object: subclass it, declare persisted `var`s with default
/// values, and mark the class `@Service` (or conform it to ``OaasService`` by hand).
///
/// The runtime makes a fresh instance with `init()` for every call, loads the persisted fields
/// from the object store into it, runs the method, and commits the fields back. An instance is
/// therefore confined to the loop thread that runs its call; it is not `Sendable`.
open class OaasObject {
    /// Which stored object this instance is, once the runtime has bound it to one; `nil` for an
    /// instance made by `init()` outside a call (or running a stateless function).
    /// Readable from the thread that runs the call.
    public internal(set) var identity: ObjectIdentity?

    /// Makes an unbound instance with every field at its default value.
    public required init() {}
}

/// The address of one stored object: its class, partition and object id.
///
/// This is also the key of the object store and of the per-object call queue. Ids compare by
/// their UTF-8 bytes, as every other platform component (keys, stores) compares them: Swift's
/// `String` equality would merge canonically equivalent spellings (`"ü"` and `"u\u{308}"`)
/// into one object. Any thread.
public struct ObjectIdentity: Hashable, Sendable, CustomStringConvertible {
    /// Class id, `package.Name`, e.g. `math.Calculator`.
    public let classID: String
    /// Partition of the class the object lives in.
    public let partitionID: UInt32
    /// The object's id: any non-empty string (numeric ids are their decimal form).
    public let objectID: String

    /// The identity's hash, computed once: a call looks its object up several times (queue,
    /// store load, store commit), and hashing the id's bytes each time was a visible share of a
    /// request.
    private let bytesHash: Int

    /// Makes an identity. Any thread.
    public init(classID: String, partitionID: UInt32, objectID: String) {
        self.classID = classID
        self.partitionID = partitionID
        self.objectID = objectID
        var hasher = Hasher()
        hasher.combine(partitionID)
        Self.combineBytes(of: objectID, into: &hasher)
        Self.combineBytes(of: classID, into: &hasher)
        bytesHash = hasher.finalize()
    }

    /// `math.Calculator/0/7`: class, partition, object, as in the platform's keys.
    public var description: String { "\(classID)/\(partitionID)/\(objectID)" }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.bytesHash == rhs.bytesHash && lhs.partitionID == rhs.partitionID && sameBytes(lhs.objectID, rhs.objectID) && sameBytes(lhs.classID, rhs.classID)
    }

    /// Byte equality of two strings' UTF-8 forms, by `memcmp` when both are contiguous (native
    /// strings always are): the generic `elementsEqual` walks the views byte by byte.
    private static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        let compared: Bool? = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                left.count == right.count && (left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        } ?? nil
        return compared ?? lhs.utf8.elementsEqual(rhs.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytesHash)
    }

    private static func combineBytes(of text: String, into hasher: inout Hasher) {
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        if hashed == nil {
            for byte in text.utf8 { hasher.combine(byte) }
        }
        // A terminator, so ("ab", "c") and ("a", "bc") hash apart.
        hasher.combine(0xFF as UInt8)
    }
}
