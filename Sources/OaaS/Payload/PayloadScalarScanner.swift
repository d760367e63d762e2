#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a payload that is a single JSON scalar (optionally surrounded by JSON whitespace)
/// directly from its bytes, without building a `JSONValue` or a `Decoder`.
///
/// This is the hot path of method dispatch. Every function returns nil for anything it does not
/// handle trivially (malformed input included), and the caller then takes the general path,
/// which produces the same value or the proper error; the fast path therefore never needs its
/// own error messages and cannot disagree with the general one.
enum PayloadScalarScanner {
    static func double(_ payload: Data) -> Double? {
        payload.withUnsafeBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            var i = skipWhitespace(bytes, 0)
            guard i < bytes.count else { return nil }
            let result: Double
            switch bytes[i] {
            case UInt8(ascii: "N"):
                guard matches(bytes, &i, "NaN") else { return nil }
                result = .nan
            case UInt8(ascii: "I"):
                guard matches(bytes, &i, "Infinity") else { return nil }
                result = .infinity
            case UInt8(ascii: "-") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "I"):
                guard matches(bytes, &i, "-Infinity") else { return nil }
                result = -.infinity
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let (value, end) = try? JSONNumberScanner.scan(bytes, from: i) else { return nil }
                i = end
                switch value {
                case .integer(let integer): result = Double(integer)
                case .number(let number): result = number
                }
            default:
                return nil
            }
            guard skipWhitespace(bytes, i) == bytes.count else { return nil }
            return result
        }
    }

    static func integer(_ payload: Data) -> Int64? {
        payload.withUnsafeBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            let i = skipWhitespace(bytes, 0)
            guard i < bytes.count, bytes[i] == UInt8(ascii: "-") || JSONNumberScanner.isDigit(bytes[i]),
                let (value, end) = try? JSONNumberScanner.scan(bytes, from: i),
                case .integer(let integer) = value,
                skipWhitespace(bytes, end) == bytes.count
            else { return nil }
            return integer
        }
    }

    static func bool(_ payload: Data) -> Bool? {
        payload.withUnsafeBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            var i = skipWhitespace(bytes, 0)
            guard i < bytes.count else { return nil }
            let result: Bool
            if bytes[i] == UInt8(ascii: "t"), matches(bytes, &i, "true") {
                result = true
            } else if bytes[i] == UInt8(ascii: "f"), matches(bytes, &i, "false") {
                result = false
            } else {
                return nil
            }
            guard skipWhitespace(bytes, i) == bytes.count else { return nil }
            return result
        }
    }

    /// A JSON string without escapes; escaped strings are rare in arguments and go the general way.
    static func string(_ payload: Data) -> String? {
        payload.withUnsafeBytes { raw -> String? in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            let start = skipWhitespace(bytes, 0) + 1
            guard start <= bytes.count, bytes[start - 1] == UInt8(ascii: "\"") else { return nil }
            var i = start
            var ascii = true
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                if byte >= 0x80 { ascii = false }
                i += 1
            }
            guard i < bytes.count, skipWhitespace(bytes, i + 1) == bytes.count else { return nil }
            let content = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if !ascii {
                guard (try? JSONParser.validateUTF8(content, baseOffset: start)) != nil else { return nil }
            }
            return String(decoding: content, as: UTF8.self)
        }
    }

    @inline(__always)
    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return i
            }
        }
        return i
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - i >= count else { return false }
        for k in 0..<count where bytes[i + k] != literal.utf8Start[k] { return false }
        i += count
        return true
    }
}
