/// Prints a `Double` exactly as Python's `repr(float)` (and so `json.dumps`) does.
///
/// Both languages print the shortest digit string that reads back as the same double, choosing
/// the closest one on ties, so the digits are taken from the standard library and only the
/// layout is redone: Python switches to scientific notation when the decimal exponent is below
/// -4 or above 16, writes `e+16`/`e-05` with at least two exponent digits, and gives integral
/// values a `.0`.
enum PythonFloatFormatter {
    /// Longest possible output, `-2.2250738585072014e-308`, is 24 bytes; leave headroom.
    static let maximumLength = 32

    /// Writes `whole` followed by ".0".
    private static func writeWhole(_ whole: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        if whole < 0 {
            out[n] = UInt8(ascii: "-")
            n += 1
        }
        var magnitude = whole.magnitude
        var reversed: (UInt64, UInt64) = (0, 0)  // room for 16 digits
        let length = withUnsafeMutableBytes(of: &reversed) { scratch -> Int in
            var length = 0
            repeat {
                scratch[length] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                length += 1
            } while magnitude > 0
            for index in 0..<length { out[n + index] = scratch[length - 1 - index] }
            return length
        }
        n += length
        out[n] = UInt8(ascii: ".")
        out[n + 1] = UInt8(ascii: "0")
        return n + 2
    }

    /// Writes the repr of `value` at `out` (which holds `maximumLength` bytes); returns the length.
    static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN { return copy("NaN", to: out) }
        if value.isInfinite { return copy(value < 0 ? "-Infinity" : "Infinity", to: out) }
        if value == 0 { return copy(value.sign == .minus ? "-0.0" : "0.0", to: out) }
        // Whole numbers below 1e16 (counters, sums of whole amounts: the common case) print as
        // their integer digits plus ".0", which is what repr gives them; this skips the
        // shortest-digits search, the dearest part of printing a double.
        if value.magnitude < 1e16, value == value.rounded(.towardZero) {
            return writeWhole(Int64(value), to: out)
        }

        // Shortest round-trip digits from the standard library, captured without allocating.
        var sink = DigitSink()
        value.magnitude.write(to: &sink)
        sink.finish()
        let digits = sink.digits
        let count = sink.count
        let point = sink.decimalPoint

        var n = 0
        if value < 0 {
            out[n] = UInt8(ascii: "-")
            n += 1
        }
        withUnsafeBytes(of: digits) { raw in
            let d = raw.bindMemory(to: UInt8.self)
            if point <= -4 || point > 16 {
                // d.ddde±XX
                out[n] = d[0]
                n += 1
                if count > 1 {
                    out[n] = UInt8(ascii: ".")
                    n += 1
                    for k in 1..<count {
                        out[n] = d[k]
                        n += 1
                    }
                }
                out[n] = UInt8(ascii: "e")
                n += 1
                var exponent = point - 1
                out[n] = exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
                n += 1
                exponent = abs(exponent)
                if exponent >= 100 {
                    out[n] = UInt8(ascii: "0") + UInt8(exponent / 100)
                    n += 1
                }
                out[n] = UInt8(ascii: "0") + UInt8(exponent / 10 % 10)
                out[n + 1] = UInt8(ascii: "0") + UInt8(exponent % 10)
                n += 2
            } else if point <= 0 {
                // 0.000ddd
                out[n] = UInt8(ascii: "0")
                out[n + 1] = UInt8(ascii: ".")
                n += 2
                for _ in 0 ..< -point {
                    out[n] = UInt8(ascii: "0")
                    n += 1
                }
                for k in 0..<count {
                    out[n] = d[k]
                    n += 1
                }
            } else {
                // ddd.ddd, or ddd000.0 when the digits end before the point
                for k in 0..<max(count, point) {
                    if k == point {
                        out[n] = UInt8(ascii: ".")
                        n += 1
                    }
                    out[n] = k < count ? d[k] : UInt8(ascii: "0")
                    n += 1
                }
                if count <= point {
                    out[n] = UInt8(ascii: ".")
                    out[n + 1] = UInt8(ascii: "0")
                    n += 2
                }
            }
        }
        return n
    }

    private static func copy(_ text: StaticString, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = text.utf8CodeUnitCount
        out.update(from: text.utf8Start, count: count)
        return count
    }

    /// Receives the standard library's text for a positive finite double (`7.5`, `1e-05`,
    /// `1.2345e+16`) and reduces it to significant digits plus the position of the decimal
    /// point, so that value = 0.DIGITS × 10^decimalPoint.
    ///
    /// The stdlib hands floats to `_writeASCII` from a stack buffer, so nothing is allocated; the
    /// `write(_:)` fallback keeps this correct should it ever pass a String instead.
    private struct DigitSink: TextOutputStream {
        /// Up to 17 significant digits; a tuple keeps them on the stack.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var decimalPoint = 0
        private var integerDigits = 0
        private var seenPoint = false
        private var inExponent = false
        private var exponentNegative = false
        private var exponent = 0
        private var leadingZeros = 0

        mutating func write(_ string: String) {
            var copy = string
            copy.withUTF8 { consume($0) }
        }

        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
            consume(buffer)
        }

        private mutating func consume(_ text: UnsafeBufferPointer<UInt8>) {
            for byte in text {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if inExponent {
                        exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                    } else {
                        if !seenPoint { integerDigits += 1 }
                        if count == 0 && byte == UInt8(ascii: "0") {
                            leadingZeros += 1
                        } else if count < 24 {
                            withUnsafeMutableBytes(of: &digits) { $0[count] = byte }
                            count += 1
                        }
                    }
                case UInt8(ascii: "."): seenPoint = true
                case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
                case UInt8(ascii: "-"): exponentNegative = true
                default: break
                }
            }
        }

        /// Called once all text arrived, since the stdlib may in principle deliver it in pieces.
        mutating func finish() {
            // Trailing zeros carry no information (`5.0` is the digit 5).
            withUnsafeBytes(of: digits) { raw in
                while count > 1 && raw[count - 1] == UInt8(ascii: "0") { count -= 1 }
            }
            decimalPoint = integerDigits - leadingZeros + (exponentNegative ? -exponent : exponent)
        }
    }
}
