import OaasGRPC
import struct Foundation.Data

/// The protobuf wire form of the invocation messages, read and written directly on the hot
/// path. When the server went through SwiftProtobuf's generated types, decoding and encoding
/// took about a tenth of a call's instructions (callgrind), and these messages have a handful
/// of fields. Measured alone on one small message (`make bench-micro`), this reader is on par
/// with SwiftProtobuf's and the writer a little slower but without its allocation: the gain is
/// in what the call no longer builds around them, not in the parsing itself.
///
/// Field numbers are those of `Protos/oprc/oprc-invoke.proto` (both object id fields, 2 and 7,
/// are read). The reader follows protobuf's rules: fields in any order, the last occurrence of
/// a singular field wins, unknown fields (of any valid wire type) are skipped, strings must be
/// valid UTF-8; a known field with an unexpected wire type is skipped like an unknown one, as
/// SwiftProtobuf does. Anything else (a truncated field, a varint over 10 bytes, field number 0,
/// an unmatched group end) is `Malformed`. `OprcWireTests` cross-checks both directions
/// against SwiftProtobuf. Any thread (pure functions).
enum OprcWire {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes an `oprc.ObjectInvocationRequest`.
    static func objectInvocation(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> Invocation {
        let fields = try read(bytes, objectRequest: true)
        let objectID: String? = fields.objectIDString ?? (fields.numericObjectID != 0 ? String(fields.numericObjectID) : nil)
        return Invocation(kind: .object, classID: fields.classID, functionID: fields.functionID,
                          partitionID: fields.partitionID, objectID: objectID, payload: fields.payload)
    }

    /// Decodes an `oprc.InvocationRequest`.
    static func functionInvocation(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> Invocation {
        let fields = try read(bytes, objectRequest: false)
        return Invocation(kind: .function, classID: fields.classID, functionID: fields.functionID,
                          partitionID: fields.partitionID, objectID: nil, payload: fields.payload)
    }

    private struct Fields {
        var partitionID: UInt32 = 0
        var numericObjectID: UInt64 = 0
        var classID = ""
        var functionID = ""
        var payload = Data()
        var objectIDString: String?
    }

    private static func read(_ bytes: UnsafeRawBufferPointer, objectRequest: Bool) throws(Malformed) -> Fields {
        var reader = Reader(bytes: bytes)
        var fields = Fields()
        while !reader.atEnd {
            let key = try reader.varint()
            let number = key >> 3
            let wireType = Int(key & 7)
            guard number >= 1, number <= 536_870_911 else {
                throw Malformed(description: "field number \(number) is out of range")
            }
            switch (number, wireType) {
            case (1, 0):
                fields.partitionID = UInt32(truncatingIfNeeded: try reader.varint())
            case (2, 0) where objectRequest:
                fields.numericObjectID = try reader.varint()
            case (3, 2):
                fields.classID = try reader.string(field: "cls_id")
            case (4, 2):
                fields.functionID = try reader.string(field: "fn_id")
            case (5, 2):
                try reader.mapEntry()
            case (6, 2):
                fields.payload = Data(try reader.lengthDelimited())
            case (7, 2) where objectRequest:
                fields.objectIDString = try reader.string(field: "object_id")
            default:
                // Unknown fields, and known ones with another wire type, are skipped, as
                // SwiftProtobuf skips them.
                try reader.skip(wireType: wireType, field: number)
            }
        }
        return fields
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                if shift == 63, byte > 1 { throw Malformed(description: "a varint overflows 64 bits") }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            throw Malformed(description: "a varint is truncated")
        }

        mutating func lengthDelimited() throws(Malformed) -> UnsafeRawBufferPointer {
            let length = try varint()
            guard length <= UInt64(bytes.count - offset) else {
                throw Malformed(description: "a field of \(length) bytes runs past the message's end")
            }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
            offset += Int(length)
            return slice
        }

        mutating func string(field: String) throws(Malformed) -> String {
            let raw = try lengthDelimited().bindMemory(to: UInt8.self)
            // Ids and names are nearly always ASCII, which `String(decoding:)` takes without a
            // validation pass of its own; `String(validating:)` costs several times more.
            if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw Malformed(description: "\(field) is not valid UTF-8")
            }
            return text
        }

        /// Checks one `map<string, string>` entry (key 1, value 2, both UTF-8), which the
        /// runtime does not use but a malformed one still makes the request malformed.
        mutating func mapEntry() throws(Malformed) {
            var entry = Reader(bytes: try lengthDelimited())
            while !entry.atEnd {
                let key = try entry.varint()
                let number = key >> 3
                let wireType = Int(key & 7)
                guard number >= 1, number <= 536_870_911 else {
                    throw Malformed(description: "field number \(number) is out of range")
                }
                switch (number, wireType) {
                case (1, 2), (2, 2): _ = try entry.string(field: "options")
                default: try entry.skip(wireType: wireType, field: number)
                }
            }
        }

        mutating func skip(wireType: Int, field: UInt64, depth: Int = 0) throws(Malformed) {
            switch wireType {
            case 0: _ = try varint()
            case 1: try advance(8)
            case 2: _ = try lengthDelimited()
            case 3: try skipGroup(field, depth: depth)
            case 5: try advance(4)
            default: throw Malformed(description: "field \(field) has wire type \(wireType) where no group is open")
            }
        }

        /// Skips a (deprecated) group up to its matching end.
        private mutating func skipGroup(_ field: UInt64, depth: Int) throws(Malformed) {
            guard depth < 64 else { throw Malformed(description: "groups nest too deeply") }
            while !atEnd {
                let key = try varint()
                let number = key >> 3
                let wireType = Int(key & 7)
                guard number >= 1, number <= 536_870_911 else {
                    throw Malformed(description: "field number \(number) is out of range")
                }
                if wireType == 4 {
                    guard number == field else { throw Malformed(description: "group \(field) ends as group \(number)") }
                    return
                }
                try skip(wireType: wireType, field: number, depth: depth + 1)
            }
            throw Malformed(description: "group \(field) is not closed")
        }

        private mutating func advance(_ count: Int) throws(Malformed) {
            guard count <= bytes.count - offset else { throw Malformed(description: "a fixed-size field is truncated") }
            offset += count
        }
    }

    // MARK: Writing

    /// Writes an `oprc.InvocationResponse` with `status` and `payload` (always present, even
    /// empty, as the Python SDK's async handler answers) and hands the bytes to `body`.
    static func withResponse<R>(status: Oprc_ResponseStatus, payload: Data,
                                _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let capacity = payload.count + 24
        return try withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            var offset = 0
            func put(_ byte: UInt8) {
                buffer[offset] = byte
                offset += 1
            }
            func putVarint(_ value: UInt64) {
                var value = value
                while value >= 0x80 {
                    put(UInt8(truncatingIfNeeded: value) | 0x80)
                    value >>= 7
                }
                put(UInt8(value))
            }
            put(0x0A)  // field 1, length-delimited
            putVarint(UInt64(payload.count))
            payload.withUnsafeBytes { source in
                if let base = source.baseAddress, source.count > 0 {
                    buffer.baseAddress!.advanced(by: offset).copyMemory(from: base, byteCount: source.count)
                }
            }
            offset += payload.count
            if status.rawValue != 0 {
                put(0x10)  // field 2, varint
                putVarint(UInt64(status.rawValue))
            }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<offset]))
        }
    }
}

import OaasProto
