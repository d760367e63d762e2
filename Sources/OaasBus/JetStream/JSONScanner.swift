/// A forward-only reader of one small JSON text, for the replies on the key-value hot path
/// (publish acks), where Foundation's decoder would cost more than the round trip's own work.
///
/// It reads what it is asked for and checks the grammar of everything it passes over, so a
/// truncated or garbled reply fails with a reason instead of being half-read. Strings are
/// decoded with their escapes; integers are read exactly, and out-of-range ones fail rather
/// than wrap. Nesting is limited to ``maxDepth``, so hostile input cannot exhaust the stack.
///
/// A plain value; any thread.
struct JSONScanner {
    /// Why the text could not be read; `offset` is where the reader stood.
    struct Failure: Error, Equatable {
        let reason: String
        let offset: Int
    }

    /// Objects and arrays nested deeper than this fail.
    static let maxDepth = 32

    private let bytes: [UInt8]
    private(set) var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: Structure

    /// Reads an object, calling `member` with each key while the scanner stands at the key's
    /// value; `member` must read or skip that value.
    mutating func readObject(_ member: (inout JSONScanner, String) throws(Failure) -> Void) throws(Failure) {
        skipBlanks()
        try expect(UInt8(ascii: "{"), "an object")
        try enter()
        skipBlanks()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipBlanks()
            let key = try readString()
            skipBlanks()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            skipBlanks()
            try member(&self, key)
            skipBlanks()
            guard let byte = peek() else { throw fail("the text ends inside an object") }
            index += 1
            if byte == UInt8(ascii: "}") { break }
            guard byte == UInt8(ascii: ",") else { throw fail("expected ',' or '}' in an object", at: index - 1) }
        }
        depth -= 1
    }

    /// Checks that only blanks follow the value read.
    func expectEnd() throws(Failure) {
        var copy = self
        copy.skipBlanks()
        guard copy.index == bytes.count else { throw copy.fail("unexpected data after the JSON value") }
    }

    // MARK: Values

    /// Reads a string, decoding its escapes. Invalid UTF-8 is repaired (U+FFFD), not refused:
    /// the texts read here are only shown to people or compared.
    mutating func readString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""), "a string")
        let start = index
        // The common case has no escapes: decode the bytes in place.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("a control character inside a string") }
            index += 1
        }
        var decoded = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &decoded)
            case 0..<0x20:
                throw fail("a control character inside a string", at: index - 1)
            default:
                decoded.append(byte)
            }
        }
        throw fail("the text ends inside a string")
    }

    /// Reads a non-negative integer that fits in 64 bits; fractions, exponents and signs fail.
    mutating func readUInt64() throws(Failure) -> UInt64 {
        let start = index
        guard let first = peek(), isDigit(first) else { throw fail("expected a non-negative integer") }
        if first == UInt8(ascii: "0"), index + 1 < bytes.count, isDigit(bytes[index + 1]) {
            throw fail("a number with a leading zero")
        }
        var value: UInt64 = 0
        while let byte = peek(), isDigit(byte) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw fail("the number is too large for 64 bits", at: start) }
            value = sum
            index += 1
        }
        if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw fail("expected an integer, found a fraction or exponent", at: start)
        }
        return value
    }

    /// Reads an integer that fits in `Int`.
    mutating func readInt() throws(Failure) -> Int {
        let start = index
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let magnitude = try readUInt64()
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { throw fail("the number is out of range", at: start) }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { throw fail("the number is out of range", at: start) }
        return Int(magnitude)
    }

    /// Reads `true` or `false`.
    mutating func readBool() throws(Failure) -> Bool {
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw fail("expected true or false")
    }

    /// Passes over one value of any kind, checking its grammar.
    mutating func skipValue() throws(Failure) {
        guard let byte = peek() else { throw fail("the text ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"):
            try readObject { scanner, _ throws(Failure) in try scanner.skipValue() }
        case UInt8(ascii: "["):
            try skipArray()
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            guard matchLiteral("null") else { throw fail("expected null") }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw fail("unexpected character where a value should be")
        }
    }

    /// Whether the value ahead is `null` (and passes over it if so).
    mutating func readNull() -> Bool {
        matchLiteral("null")
    }

    // MARK: Pieces

    private mutating func skipArray() throws(Failure) {
        try expect(UInt8(ascii: "["), "an array")
        try enter()
        skipBlanks()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipBlanks()
            try skipValue()
            skipBlanks()
            guard let byte = peek() else { throw fail("the text ends inside an array") }
            index += 1
            if byte == UInt8(ascii: "]") { break }
            guard byte == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in an array", at: index - 1) }
        }
        depth -= 1
    }

    /// JSON's number grammar: `-? int frac? exp?`, value not kept.
    private mutating func skipNumber() throws(Failure) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw fail("a number without digits") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let byte = peek(), isDigit(byte) else { throw fail("a fraction without digits") }
            skipDigits()
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek(), isDigit(byte) else { throw fail("an exponent without digits") }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    /// After a backslash: one escape, appended as UTF-8.
    private mutating func readEscape(into decoded: inout [UInt8]) throws(Failure) {
        guard index < bytes.count else { throw fail("the text ends inside an escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHex4())
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("a lone surrogate in a \\u escape")
                }
                index += 2
                let low = UInt32(try readHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("a lone surrogate in a \\u escape")
            }
            // Surrogates are excluded above, so the scalar is valid.
            decoded.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw fail("an unknown escape", at: index - 1)
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt16 {
        guard index + 4 <= bytes.count else { throw fail("the text ends inside a \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("a \\u escape with a non-hex digit")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard peek() == byte else {
            throw fail(index < bytes.count ? "expected \(what)" : "the text ends where \(what) should be")
        }
        index += 1
    }

    private mutating func skipBlanks() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    @inline(__always)
    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> Failure {
        Failure(reason: reason, offset: offset ?? index)
    }
}
