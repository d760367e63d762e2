#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The "C" numeric locale for `strtod`, created once; nil only if the C library refuses.
/// Locales are immutable once created, so sharing one across threads is safe.
private nonisolated(unsafe) let cNumericLocale: locale_t? = newlocale(LC_NUMERIC_MASK, "C", nil)

/// Reads JSON number tokens straight from bytes, shared by the document parser and the codec's
/// scalar fast paths so both accept exactly the same grammar and produce the same values.
enum JSONNumberScanner {
    /// A scanned number: Python's `int` when it fits `Int64`, its `float` otherwise.
    enum Value {
        case integer(Int64)
        case number(Double)
    }

    /// Powers of ten that are exact in a `Double`, for Clinger's fast path.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Scans the RFC 8259 number starting at `start` (a `-` or a digit) and returns it with the
    /// index just past it. The Python tokens `NaN`, `Infinity` and `-Infinity` are handled by
    /// callers, which see their first letter before getting here.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int
    ) throws(JSONParseError) -> (value: Value, end: Int) {
        let n = bytes.count
        var i = start
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < n else {
            throw JSONParseError(reason: "unexpected end of input in number", offset: i)
        }
        let integerStart = i
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if isDigit(bytes[i]) {
            i += 1
            while i < n, isDigit(bytes[i]) { i += 1 }
        } else {
            throw JSONParseError(reason: "expected a digit in number, found \(describe(byte: bytes[i]))", offset: i)
        }
        let integerEnd = i
        var fractionStart = i
        var fractionEnd = i
        var isInteger = true
        var exponent = 0
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n, isDigit(bytes[i]) else {
                throw JSONParseError(reason: "expected a digit after the decimal point", offset: i)
            }
            fractionStart = i
            while i < n, isDigit(bytes[i]) { i += 1 }
            fractionEnd = i
            isInteger = false
        }
        if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var exponentNegative = false
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < n, isDigit(bytes[i]) else {
                throw JSONParseError(reason: "expected a digit in the exponent", offset: i)
            }
            while i < n, isDigit(bytes[i]) {
                // Saturate: anything past this is zero or infinity anyway, and the slow
                // conversion below re-reads the text.
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(bytes[i] &- 0x30) }
                i += 1
            }
            if exponentNegative { exponent = -exponent }
            isInteger = false
        }

        if isInteger {
            // 19 digits stay below 10^19 < 2^64, so the accumulation cannot wrap.
            if integerEnd - integerStart <= 19 {
                var magnitude: UInt64 = 0
                for k in integerStart..<integerEnd {
                    magnitude = magnitude &* 10 &+ UInt64(bytes[k] &- 0x30)
                }
                if !negative, magnitude <= UInt64(Int64.max) {
                    return (.integer(Int64(magnitude)), i)
                }
                if negative, magnitude <= UInt64(Int64.max) + 1 {
                    return (.integer(Int64(bitPattern: 0 &- magnitude)), i)
                }
            }
            return (.number(slowDouble(bytes, start, i)), i)
        }

        // Clinger's fast path: a mantissa of at most 53 bits times an exact power of ten is one
        // correctly rounded IEEE operation, which covers nearly every number people write.
        var mantissa: UInt64 = 0
        var significantDigits = 0
        for k in integerStart..<integerEnd {
            accumulate(bytes[k], &mantissa, &significantDigits)
        }
        for k in fractionStart..<fractionEnd {
            accumulate(bytes[k], &mantissa, &significantDigits)
        }
        if significantDigits == 0 {
            return (.number(negative ? -0.0 : 0.0), i)
        }
        let decimalExponent = exponent - (fractionEnd - fractionStart)
        if significantDigits <= 19, mantissa <= 1 << 53, decimalExponent >= -22, decimalExponent <= 22 {
            var value = Double(mantissa)
            if decimalExponent >= 0 {
                value *= exactPowersOfTen[decimalExponent]
            } else {
                value /= exactPowersOfTen[-decimalExponent]
            }
            return (.number(negative ? -value : value), i)
        }
        return (.number(slowDouble(bytes, start, i)), i)
    }

    @inline(__always)
    private static func accumulate(_ byte: UInt8, _ mantissa: inout UInt64, _ count: inout Int) {
        let digit = UInt64(byte &- 0x30)
        if count == 0, digit == 0 { return }
        count += 1
        if count <= 19 { mantissa = mantissa &* 10 &+ digit }
    }

    /// Correctly rounded conversion by the C library for the numbers the fast path cannot
    /// handle (17-digit doubles, which Python's repr often prints, among them). The text was
    /// validated above, so the C syntax extras (hex, `inf`) never come into play; overflow gives
    /// an infinity, as in Python. Running `strtod` under a per-thread "C" locale makes it immune
    /// to whatever `setlocale` the host process did (`strtod_l` is not visible to Swift on
    /// glibc), and a stack copy avoids allocating a String.
    private static func slowDouble(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double {
        let length = end - start
        guard let locale = cNumericLocale else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            return Double(text) ?? .nan
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for k in 0..<length { buffer[k] = CChar(bitPattern: bytes[start + k]) }
            buffer[length] = 0
            // `uselocale` switches only this thread, and is restored before returning.
            let previous = uselocale(locale)
            defer { uselocale(previous) }
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// Names a byte for an error message: a quoted character when printable, hex otherwise.
    static func describe(byte: UInt8) -> String {
        if byte >= 0x20, byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
    }
}
