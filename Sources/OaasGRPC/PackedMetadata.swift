/// Request metadata as (2-byte length, bytes) pairs. Up to 128 bytes live inline in the call
/// object, which covers the usual `user-agent` without an allocation; more moves to an array.
/// Header lists are capped far below 64 KiB, so two bytes hold any length.
///
/// Loop-confined value.
struct PackedMetadata {
    private typealias Inline = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    private static let inlineCapacity = MemoryLayout<Inline>.size
    private var inline: Inline = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var inlineCount = 0
    private var spilled: [UInt8]?

    var isEmpty: Bool { inlineCount == 0 && spilled == nil }

    /// Appends one name and its value.
    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let needed = 4 + name.count + value.count
        if spilled == nil, inlineCount + needed <= Self.inlineCapacity {
            withUnsafeMutableBytes(of: &inline) { storage in
                inlineCount = Self.write(name, at: inlineCount, into: storage)
                inlineCount = Self.write(value, at: inlineCount, into: storage)
            }
            return
        }
        if spilled == nil {
            spilled = withUnsafeBytes(of: &inline) { Array($0.prefix(inlineCount)) }
        }
        appendSpilled(name)
        appendSpilled(value)
    }

    private mutating func appendSpilled(_ field: UnsafeRawBufferPointer) {
        spilled!.append(UInt8(truncatingIfNeeded: field.count >> 8))
        spilled!.append(UInt8(truncatingIfNeeded: field.count))
        spilled!.append(contentsOf: field)
    }

    private static func write(_ field: UnsafeRawBufferPointer, at offset: Int, into storage: UnsafeMutableRawBufferPointer) -> Int {
        storage[offset] = UInt8(truncatingIfNeeded: field.count >> 8)
        storage[offset + 1] = UInt8(truncatingIfNeeded: field.count)
        if let source = field.baseAddress, field.count > 0 {
            (storage.baseAddress! + offset + 2).copyMemory(from: source, byteCount: field.count)
        }
        return offset + 2 + field.count
    }

    /// The pairs, in order.
    var fields: [(name: String, value: String)] {
        var inlineCopy = inline
        let count = inlineCount
        return spilled.map(Self.decode) ?? withUnsafeBytes(of: &inlineCopy) { Self.decode(Array($0.prefix(count))) }
    }

    private static func decode(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var index = 0
        func next() -> String {
            let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            defer { index += 2 + length }
            return String(decoding: bytes[(index + 2)..<(index + 2 + length)], as: UTF8.self)
        }
        while index < bytes.count {
            let name = next()
            let value = next()
            fields.append((name, value))
        }
        return fields
    }
}
