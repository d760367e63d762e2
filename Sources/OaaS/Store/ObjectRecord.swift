import struct Foundation.Data

/// An object as durable stores keep it: the platform's own object record, `oprc.ObjData`, in
/// its protobuf wire form.
///
/// The Oparaca definitions exist in two versions (see `Protos/oprc/oprc-data.proto`): the
/// one the Python SDK 0.3.6 speaks keys entries by `uint32` (ObjData field 2) and ids by
/// `uint64` (ObjMeta field 3); the current one keys entries by string (field 4) and ids by
/// string (ObjMeta field 4). A record written here is readable by both: the string id is
/// always written, the numeric one too when the id is a canonical decimal `UInt64`; entries
/// whose key is a canonical decimal `UInt32` (every field index) go to field 2, any other key
/// to field 4. The reader takes either form and skips what it does not know (an `event`,
/// unknown fields), so a record another component wrote is still read.
///
/// Entries are written in ascending key order, so equal objects give equal bytes.
/// Any thread (pure functions).
public enum ObjectRecord {
    /// The version of the stored form that this runtime writes; stores record it beside the
    /// objects and refuse a store written with a newer one.
    public static let schemaVersion = 1

    /// The record of `object` holding `entries`.
    ///
    /// Written in one pass into one array: the nested messages' lengths are computed first
    /// (a commit encodes one record per changed object, on the writer's thread).
    public static func encode(_ object: ObjectIdentity, entries: ObjectEntries) -> [UInt8] {
        let numericID = canonicalUInt64(object.objectID)
        var metaLength = stringFieldLength(object.classID, always: false) + stringFieldLength(object.objectID, always: true)
        if object.partitionID != 0 { metaLength += 1 + varintLength(UInt64(object.partitionID)) }
        if let numericID, numericID != 0 { metaLength += 1 + varintLength(numericID) }
        let sorted = sortedEntries(entries)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 + varintLength(UInt64(metaLength)) + metaLength + sorted.reduce(0) { $0 + $1.1.count + 16 + $1.0.utf8.count })
        bytes.append(0x0A)  // ObjData.metadata
        putVarint(UInt64(metaLength), into: &bytes)
        putString(field: 1, object.classID, always: false, into: &bytes)
        if object.partitionID != 0 { putVarintField(2, UInt64(object.partitionID), into: &bytes) }
        if let numericID, numericID != 0 { putVarintField(3, numericID, into: &bytes) }
        putString(field: 4, object.objectID, always: true, into: &bytes)
        for (key, value) in sorted {
            let valueLength = value.isEmpty ? 0 : 1 + varintLength(UInt64(value.count)) + value.count
            let valueField = 1 + varintLength(UInt64(valueLength)) + valueLength
            if let index = canonicalUInt64(key), index <= UInt64(UInt32.max) {
                bytes.append(0x12)  // ObjData.entries, map<uint32, ValData>
                putVarint(UInt64((index == 0 ? 0 : 1 + varintLength(index)) + valueField), into: &bytes)
                if index != 0 { putVarintField(1, index, into: &bytes) }
            } else {
                bytes.append(0x22)  // ObjData.entries_str, map<string, ValData>
                putVarint(UInt64(stringFieldLength(key, always: false) + valueField), into: &bytes)
                putString(field: 1, key, always: false, into: &bytes)
            }
            bytes.append(0x12)  // the map entry's value
            putVarint(UInt64(valueLength), into: &bytes)
            if !value.isEmpty {
                bytes.append(0x0A)  // ValData.data
                putVarint(UInt64(value.count), into: &bytes)
                bytes.append(contentsOf: value)
            }
        }
        return bytes
    }

    private static func varintLength(_ value: UInt64) -> Int {
        var value = value
        var length = 1
        while value >= 0x80 {
            value >>= 7
            length += 1
        }
        return length
    }

    private static func stringFieldLength(_ text: String, always: Bool) -> Int {
        let count = text.utf8.count
        guard always || count > 0 else { return 0 }
        return 1 + varintLength(UInt64(count)) + count
    }

    private static func putVarint(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func putVarintField(_ field: UInt8, _ value: UInt64, into bytes: inout [UInt8]) {
        bytes.append(field << 3)
        putVarint(value, into: &bytes)
    }

    private static func putString(field: UInt8, _ text: String, always: Bool, into bytes: inout [UInt8]) {
        let count = text.utf8.count
        guard always || count > 0 else { return }
        bytes.append(field << 3 | 2)
        putVarint(UInt64(count), into: &bytes)
        bytes.append(contentsOf: text.utf8)
    }

    /// A record read back: the identity it names (if it names one) and its entries.
    public struct Decoded: Equatable, Sendable {
        public var identity: ObjectIdentity?
        public var entries: ObjectEntries
    }

    /// Reads a record. - Throws: ``ObjectRecordError`` naming what is malformed.
    public static func decode(_ bytes: [UInt8]) throws(ObjectRecordError) -> Decoded {
        do {
            return try bytes.withUnsafeBytes { raw in try read(raw) }
        } catch let error as OprcWire.Malformed {
            throw ObjectRecordError(reason: error.description)
        } catch {
            throw ObjectRecordError(reason: "\(error)")
        }
    }

    private static func read(_ bytes: UnsafeRawBufferPointer) throws(OprcWire.Malformed) -> Decoded {
        var reader = OprcWire.Reader(bytes: bytes)
        var classID: String?
        var partition: UInt32 = 0
        var numericID: UInt64?
        var stringID: String?
        var entries: ObjectEntries = [:]
        while !reader.atEnd {
            let (number, wireType) = try fieldKey(&reader)
            switch (number, wireType) {
            case (1, 2):
                var meta = OprcWire.Reader(bytes: try reader.lengthDelimited())
                while !meta.atEnd {
                    let (field, type) = try fieldKey(&meta)
                    switch (field, type) {
                    case (1, 2): classID = try meta.string(field: "cls_id")
                    case (2, 0): partition = UInt32(truncatingIfNeeded: try meta.varint())
                    case (3, 0): numericID = try meta.varint()
                    case (4, 2): stringID = try meta.string(field: "object_id")
                    default: try meta.skip(wireType: type, field: field)
                    }
                }
            case (2, 2), (4, 2):
                var entry = OprcWire.Reader(bytes: try reader.lengthDelimited())
                var key = number == 2 ? "0" : ""
                var value = Data()
                while !entry.atEnd {
                    let (field, type) = try fieldKey(&entry)
                    switch (number, field, type) {
                    case (2, 1, 0): key = String(UInt32(truncatingIfNeeded: try entry.varint()))
                    case (4, 1, 2): key = try entry.string(field: "entry key")
                    case (_, 2, 2): value = try valData(&entry)
                    default: try entry.skip(wireType: type, field: field)
                    }
                }
                entries[key] = value
            default:
                try reader.skip(wireType: wireType, field: number)
            }
        }
        var identity: ObjectIdentity?
        if let classID, let objectID = stringID ?? numericID.map({ String($0) }) {
            identity = ObjectIdentity(classID: classID, partitionID: partition, objectID: objectID)
        }
        return Decoded(identity: identity, entries: entries)
    }

    /// `ValData { 1 data: bytes; 2 type }`: the bytes (a CRDT-typed value is kept as bytes).
    private static func valData(_ reader: inout OprcWire.Reader) throws(OprcWire.Malformed) -> Data {
        var value = OprcWire.Reader(bytes: try reader.lengthDelimited())
        var data = Data()
        while !value.atEnd {
            let (field, type) = try fieldKey(&value)
            if field == 1, type == 2 {
                data = Data(try value.lengthDelimited())
            } else {
                try value.skip(wireType: type, field: field)
            }
        }
        return data
    }

    private static func fieldKey(_ reader: inout OprcWire.Reader) throws(OprcWire.Malformed) -> (UInt64, Int) {
        let key = try reader.varint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else {
            throw OprcWire.Malformed(description: "field number \(number) is out of range")
        }
        return (number, Int(key & 7))
    }

    /// Numeric keys in numeric order, then the others in byte order.
    private static func sortedEntries(_ entries: ObjectEntries) -> [(String, Data)] {
        entries.sorted { lhs, rhs in
            switch (canonicalUInt64(lhs.key), canonicalUInt64(rhs.key)) {
            case let (left?, right?): left < right
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): Array(lhs.key.utf8).lexicographicallyPrecedes(rhs.key.utf8)
            }
        }
    }

    /// The value of a decimal with no sign, no leading zero (but "0") and no overflow; the
    /// form that reads back as the same text.
    static func canonicalUInt64(_ text: String) -> UInt64? {
        let utf8 = text.utf8
        guard let first = utf8.first, utf8.count <= 20, first != UInt8(ascii: "0") || utf8.count == 1 else { return nil }
        guard utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text)
    }
}

/// A stored record is not a readable `ObjData`. Any thread.
public struct ObjectRecordError: Error, Equatable, CustomStringConvertible {
    /// What is malformed.
    public let reason: String
    public var description: String { "the stored object record is malformed: \(reason)" }
}
