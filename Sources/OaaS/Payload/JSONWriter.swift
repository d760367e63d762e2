/// Prints JSON exactly like Python's `json.dumps` with default arguments: `", "` and `": "`
/// separators, `ensure_ascii=True` with lowercase hex escapes, floats in `repr` form and the
/// `NaN`/`Infinity`/`-Infinity` tokens, so Python and Swift peers store identical bytes.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .integer(let integer): writeInteger(integer)
        case .number(let number): writeDouble(number)
        case .string(let string): writeString(string)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { append(", ") }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for i in 0..<object.keys.count {
                if i > 0 { append(", ") }
                writeString(object.keys[i])
                append(": ")
                write(object.values[i])
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func writeInteger(_ value: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            let count = Self.formatInteger(value, into: buffer.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: count))
        }
    }

    mutating func writeDouble(_ value: Double) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: PythonFloatFormatter.maximumLength) { buffer in
            let count = PythonFloatFormatter.write(value, to: buffer.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: count))
        }
    }

    /// Writes a quoted string; every character outside printable ASCII is a `\uXXXX` escape,
    /// astral characters as a surrogate pair, as `ensure_ascii` does.
    mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x20..<0x7F: bytes.append(UInt8(v))
            case 0x10000...:
                let offset = v - 0x10000
                writeEscape(UInt16(0xD800 + (offset >> 10)))
                writeEscape(UInt16(0xDC00 + (offset & 0x3FF)))
            default:
                writeEscape(UInt16(v))
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func writeEscape(_ unit: UInt16) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hexDigit(UInt8(truncatingIfNeeded: unit >> UInt16(shift)) & 0xF))
        }
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Writes the decimal digits of `value` at `out` (room for 20 bytes); returns the length.
    static func formatInteger(_ value: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        var reversed: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &reversed) { digits in
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude != 0
        }
        var n = 0
        if value < 0 {
            out[0] = UInt8(ascii: "-")
            n = 1
        }
        withUnsafeBytes(of: reversed) { digits in
            for k in stride(from: count - 1, through: 0, by: -1) {
                out[n] = digits[k]
                n += 1
            }
        }
        return n
    }
}
