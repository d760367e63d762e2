import struct Foundation.Data

/// `add`'s payloads: a JSON number in, the new total out, printed as Python's `json.dumps`
/// prints a float (`5.0`, `7.5`, `1e+16`), which is how the runtime and the Python SDK answer.
///
/// Checked against the JSON grammar by hand and converted with `Double(_:)` rather than decoded
/// with Foundation's `JSONDecoder`: the benchmark compares servers, and a decoder allocated per
/// call would weigh more than the arithmetic it serves.
enum JSONNumber {
    /// The number a payload holds, or `nil` when it is not exactly one JSON number (surrounding
    /// JSON whitespace allowed).
    static func parse(_ payload: Data) -> Double? {
        // Numbers are short: the string stays inline, no allocation.
        let text = String(decoding: payload, as: UTF8.self)
        let utf8 = text.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }),
              let last = utf8.lastIndex(where: { !isSpace($0) }) else { return nil }
        let number = text[first...last]
        // `Double(_:)` also takes forms JSON forbids (`inf`, `0x1p3`, `+1`, `.5`), so the
        // grammar is checked first; every string it accepts, `Double(_:)` reads correctly rounded.
        guard isJSONNumber(number.utf8) else { return nil }
        return Double(number)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, the JSON number grammar.
    private static func isJSONNumber(_ bytes: Substring.UTF8View) -> Bool {
        var rest = bytes[...]
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        func skipDigits() -> Bool {
            guard isDigit(rest.first) else { return false }
            while isDigit(rest.first) { rest.removeFirst() }
            return true
        }
        if rest.first == UInt8(ascii: "-") { rest.removeFirst() }
        if rest.first == UInt8(ascii: "0") {
            rest.removeFirst()
        } else if !skipDigits() {
            return false
        }
        if rest.first == UInt8(ascii: ".") {
            rest.removeFirst()
            guard skipDigits() else { return false }
        }
        if rest.first == UInt8(ascii: "e") || rest.first == UInt8(ascii: "E") {
            rest.removeFirst()
            if rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") { rest.removeFirst() }
            guard skipDigits() else { return false }
        }
        return rest.isEmpty
    }

    /// `value` as Python's `json.dumps` prints it. Swift's `description` of a finite Double is
    /// already Python's `repr` (shortest round-trip digits, `N.0` for whole numbers, exponent
    /// from 1e16 and below 1e-4); only the non-finite values are spelled differently.
    static func bytes(_ value: Double) -> Data {
        if value.isNaN { return Data("NaN".utf8) }
        if value.isInfinite { return Data((value < 0 ? "-Infinity" : "Infinity").utf8) }
        return Data(value.description.utf8)
    }
}
