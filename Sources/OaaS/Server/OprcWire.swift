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
