import struct Foundation.Data

/// The stored entries of one object: declaration index (as a decimal string) → encoded value.
///
/// Entries this version of the class does not know (written by a newer version, say) are kept
/// untouched by a commit. Any thread (a value).
public typealias ObjectEntries = [String: Data]

/// Entry keys `"0"` … `"63"`, made once: most classes have few fields, and this keeps the
/// per-call state path free of integer formatting.
@usableFromInline
let smallEntryKeys: [String] = (0..<64).map { String($0) }

/// The entry key of the field declared at `index`.
@inlinable
func entryKey(_ index: Int) -> String {
    index >= 0 && index < smallEntryKeys.count ? smallEntryKeys[index] : String(index)
}

/// Read access to a loaded object's entries, for ``OaasService/loadState(from:)``.
/// Confined to the call's loop thread.
public struct StateReader {
    /// The entries as stored.
    public let entries: ObjectEntries

    /// Wraps stored entries.
    public init(entries: ObjectEntries) { self.entries = entries }

    /// The value of the field declared at `index`, or `nil` when the object has no entry for
    /// it (or an empty one, which is how the Python SDK stores `None`).
    /// - Throws: ``PayloadError`` when the stored bytes are not a `T`.
    @inlinable
    public func read<T: Decodable>(_ type: T.Type, field index: Int) throws(PayloadError) -> T? {
        guard let bytes = entries[entryKey(index)] else { return nil }
        return try PayloadCodec.decodeValue(type, from: bytes)
    }
}

/// Write access to an object's entries, for ``OaasService/saveState(into:)``.
/// Confined to the call's loop thread.
public struct StateWriter {
    /// The entries to commit: the ones the writer started from (the stored entries, or for an
    /// object not stored yet a fresh instance's) with the written fields replaced.
    public var entries: ObjectEntries

    /// Starts from `entries`, so fields this class does not know survive.
    public init(entries: ObjectEntries) { self.entries = entries }

    /// Stores `value` as the field declared at `index`.
    /// - Throws: ``PayloadError`` when the value cannot be encoded.
    @inlinable
    public mutating func write<T: Encodable>(_ value: T, field index: Int) throws(PayloadError) {
        let encoded = try PayloadCodec.encodeValue(value)
        let key = entryKey(index)
        // Only a value that differs is stored: entries nobody changed stay shared with the
        // dictionary the writer started from (no copy), and the engine's comparison of the two
        // then finds them identical without comparing element by element.
        if entries[key] != encoded { entries[key] = encoded }
    }
}
