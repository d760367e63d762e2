#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A strict JSON parser: RFC 8259 plus Python's `NaN`, `Infinity` and `-Infinity` tokens.
///
/// It is iterative, with explicit stacks, so that a payload of a hundred thousand `[` fails with
/// a depth error instead of overflowing the thread's stack; the depth bound then also protects
/// whoever walks the resulting value recursively.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses one complete document; only whitespace may follow it.
    static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = data.withUnsafeBytes { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            var parser = JSONParser(bytes: buffer)
            do throws(JSONParseError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one complete document from a buffer; only whitespace may follow it.
    static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: buffer)
        return try parser.parseDocument()
    }

    // MARK: Structure

    private enum Open {
        case array
        case object
    }

    private mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // Three parallel stacks rather than one stack of enums with payloads: appending to an
        // array stored inside an enum case would copy it on every element.
        var open: [Open] = []
        var arrays: [[JSONValue]] = []
        var objects: [JSONObjectBuilder] = []
        var pendingKeys: [String] = []

        skipWhitespace()
        parseValue: while true {
            var value: JSONValue
            guard index < bytes.count else { throw endOfInput(expecting: "a value") }
            switch bytes[index] {
            case UInt8(ascii: "["):
                try checkDepth(open.count)
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    value = .array([])
                } else {
                    open.append(.array)
                    arrays.append([])
                    continue parseValue
                }
            case UInt8(ascii: "{"):
                try checkDepth(open.count)
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    value = .object(JSONObject())
                } else {
                    open.append(.object)
                    objects.append(JSONObjectBuilder())
                    pendingKeys.append(try parseMemberKey())
                    continue parseValue
                }
            default:
                value = try parseScalar()
            }

            // A value is complete: hand it to the enclosing container, closing containers as
            // long as their closing bracket follows.
            while true {
                guard let container = open.last else {
                    skipWhitespace()
                    if index < bytes.count {
                        throw JSONParseError(
                            reason: "unexpected \(JSONNumberScanner.describe(byte: bytes[index])) after the JSON value",
                            offset: index)
                    }
                    return value
                }
                switch container {
                case .array:
                    arrays[arrays.count - 1].append(value)
                    skipWhitespace()
                    guard index < bytes.count else { throw endOfInput(expecting: "',' or ']'") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        continue parseValue
                    }
                    guard bytes[index] == UInt8(ascii: "]") else { throw unexpected(expecting: "',' or ']'") }
                    index += 1
                    open.removeLast()
                    value = .array(arrays.removeLast())
                case .object:
                    objects[objects.count - 1].set(pendingKeys.removeLast(), value)
                    skipWhitespace()
                    guard index < bytes.count else { throw endOfInput(expecting: "',' or '}'") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        pendingKeys.append(try parseMemberKey())
                        continue parseValue
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { throw unexpected(expecting: "',' or '}'") }
                    index += 1
                    open.removeLast()
                    value = .object(objects.removeLast().build())
                }
            }
        }
    }

    private func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth >= JSONValue.maximumNestingDepth {
            throw JSONParseError(
                reason: "nesting deeper than \(JSONValue.maximumNestingDepth) arrays/objects", offset: index)
        }
    }

    /// Reads `"key"` and the `:` after it, leaving the index at the member's value.
    private mutating func parseMemberKey() throws(JSONParseError) -> String {
        guard index < bytes.count else { throw endOfInput(expecting: "an object key") }
        guard bytes[index] == UInt8(ascii: "\"") else { throw unexpected(expecting: "an object key string") }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count else { throw endOfInput(expecting: "':'") }
        guard bytes[index] == UInt8(ascii: ":") else { throw unexpected(expecting: "':'") }
        index += 1
        skipWhitespace()
        return key
    }

    // MARK: Scalars

    private mutating func parseScalar() throws(JSONParseError) -> JSONValue {
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "N"):
            try expectLiteral("NaN")
            return .number(.nan)
        case UInt8(ascii: "I"):
            try expectLiteral("Infinity")
            return .number(.infinity)
        case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "I"):
            try expectLiteral("-Infinity")
            return .number(-.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let (number, end) = try JSONNumberScanner.scan(bytes, from: index)
            index = end
            switch number {
            case .integer(let value): return .integer(value)
            case .number(let value): return .number(value)
            }
        default:
            throw unexpected(expecting: "a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        for k in 0..<count {
            guard index < bytes.count else {
                throw JSONParseError(reason: "unexpected end of input in '\(literal)'", offset: index)
            }
            guard bytes[index] == text[k] else {
                throw JSONParseError(reason: "invalid literal, expected '\(literal)'", offset: start)
            }
            index += 1
        }
    }

    /// Parses a string starting at its opening quote. Unescaped runs are copied in bulk; the
    /// UTF-8 is validated strictly because Python rejects undecodable payload bytes too.
    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, so the result is a slice of the input.
        var allASCII = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if !allASCII { try Self.validateUTF8(slice, baseOffset: start) }
                return String(decoding: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacter(byte) }
            if byte >= 0x80 { allASCII = false }
            index += 1
        }
        guard index < bytes.count else { throw unterminatedString(start - 1) }

        // Slow path: escapes present; build the UTF-8 bytes of the result.
        var utf8: [UInt8] = []
        utf8.reserveCapacity(index - start + 16)
        var runStart = start
        while true {
            guard index < bytes.count else { throw unterminatedString(start - 1) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                try Self.validateUTF8(run, baseOffset: runStart)
                utf8.append(contentsOf: run)
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: utf8, as: UTF8.self)
                }
                try parseEscape(into: &utf8)
                runStart = index
                continue
            }
            if byte < 0x20 { throw controlCharacter(byte) }
            index += 1
        }
    }

    /// Decodes one escape sequence at the backslash, appending its UTF-8.
    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw endOfInput(expecting: "an escape sequence") }
        let code = bytes[index]
        index += 1
        switch code {
        case UInt8(ascii: "\""): utf8.append(0x22)
        case UInt8(ascii: "\\"): utf8.append(0x5C)
        case UInt8(ascii: "/"): utf8.append(0x2F)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else {
                    throw JSONParseError(reason: "lone surrogate \\u\(Self.hex4(unit)) in string", offset: escapeStart)
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONParseError(reason: "lone surrogate \\u\(Self.hex4(unit)) in string", offset: escapeStart)
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw JSONParseError(reason: "lone surrogate \\u\(Self.hex4(unit)) in string", offset: escapeStart)
            }
            // Surrogates were excluded above, so the scalar is always valid.
            let scalar = Unicode.Scalar(scalarValue)!
            utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw JSONParseError(
                reason: "invalid escape sequence '\\\(Character(Unicode.Scalar(code)))' in string", offset: escapeStart)
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw endOfInput(expecting: "4 hex digits after \\u") }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw unexpected(expecting: "a hex digit in \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private static func hex4(_ value: UInt16) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Strict UTF-8 validation (no overlong forms, no encoded surrogates, nothing past U+10FFFF).
    static func validateUTF8(_ buffer: UnsafeBufferPointer<UInt8>, baseOffset: Int) throws(JSONParseError) {
        var i = 0
        let n = buffer.count
        while i < n {
            let lead = buffer[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: throw invalidUTF8(baseOffset + i)
            }
            guard i + length <= n else { throw invalidUTF8(baseOffset + i) }
            let second = buffer[i + 1]
            guard second >= lower, second <= upper else { throw invalidUTF8(baseOffset + i) }
            for k in 2..<max(length, 2) where buffer[i + k] & 0xC0 != 0x80 {
                throw invalidUTF8(baseOffset + i)
            }
            i += length
        }
    }

    // MARK: Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func endOfInput(expecting what: String) -> JSONParseError {
        JSONParseError(reason: "unexpected end of input, expected \(what)", offset: index)
    }

    private func unexpected(expecting what: String) -> JSONParseError {
        JSONParseError(
            reason: "unexpected \(JSONNumberScanner.describe(byte: bytes[index])), expected \(what)", offset: index)
    }

    private func controlCharacter(_ byte: UInt8) -> JSONParseError {
        JSONParseError(reason: "unescaped control character \(JSONNumberScanner.describe(byte: byte)) in string", offset: index)
    }

    private func unterminatedString(_ start: Int) -> JSONParseError {
        JSONParseError(reason: "unterminated string", offset: start)
    }

    private static func invalidUTF8(_ offset: Int) -> JSONParseError {
        JSONParseError(reason: "invalid UTF-8", offset: offset)
    }
}
