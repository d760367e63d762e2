import Foundation
import Testing

@testable import OaaS

@Suite("Payload: JSONValue printer")
struct PayloadJSONValuePrinterTests {
    @Test("strings are escaped like json.dumps with ensure_ascii")
    func stringEscapes() {
        let value = JSONValue.string("a\n\t\"\\\u{1}\u{7f}/é😀\u{2028}")
        #expect(value.description == #""a\n\t\"\\\u0001\u007f/\u00e9\ud83d\ude00\u2028""#)
        #expect(JSONValue.string("\u{8}\u{c}\r").description == #""\b\f\r""#)
    }

    @Test("floats print in Python repr form")
    func floats() {
        let values: [Double] = [
            1e-05, 1e16, 1e15, 0.1, 0.30000000000000004, 1e22, 123456789012345678.0, -0.0, .nan, .infinity,
            -.infinity, .leastNonzeroMagnitude, 1.7976931348623157e308, 0.0001, 100.0,
        ]
        let printed = JSONValue.array(values.map { .number($0) }).description
        #expect(
            printed
                == "[1e-05, 1e+16, 1000000000000000.0, 0.1, 0.30000000000000004, 1e+22, 1.2345678901234568e+17, "
                + "-0.0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e+308, 0.0001, 100.0]")
    }

    @Test("containers use Python's separators and keep key order")
    func containers() {
        let value: JSONValue = ["z": [], "a": [:], "c": .null, "d": [true, false, 1, -9223372036854775808]]
        #expect(value.description == #"{"z": [], "a": {}, "c": null, "d": [true, false, 1, -9223372036854775808]}"#)
        #expect(text(value.serialized()) == value.description)
    }
}

@Suite("Payload: JSONValue parser")
struct PayloadJSONValueParserTests {
    @Test("numbers: Int64 integers stay integers, everything else is a Double")
    func numberKinds() throws {
        #expect(try JSONValue(parsing: "1") == .integer(1))
        #expect(try JSONValue(parsing: "-0") == .integer(0))
        #expect(try JSONValue(parsing: "1.0") == .number(1))
        #expect(try JSONValue(parsing: "1e2") == .number(100))
        #expect(try JSONValue(parsing: "9223372036854775807") == .integer(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .integer(.min))
        #expect(try JSONValue(parsing: "9223372036854775808") == .number(9223372036854775808.0))
        #expect(try JSONValue(parsing: "1e400") == .number(.infinity))
        #expect(try JSONValue(parsing: "-Infinity") == .number(-.infinity))
        guard case .number(let nan) = try JSONValue(parsing: "NaN") else {
            Issue.record("NaN did not parse as a number")
            return
        }
        #expect(nan.isNaN)
        guard case .number(let negativeZero) = try JSONValue(parsing: "-0.0") else { return }
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test("objects keep parse order; a repeated key keeps its first place and its last value, like json.loads")
    func objectOrder() throws {
        let value = try JSONValue(parsing: #" { "b" : 1 , "a" : [ 2 , "x" ] , "b" : 3 } "#)
        guard case .object(let object) = value else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(object.keys == ["b", "a"])
        #expect(object["b"] == .integer(3))
        #expect(value.description == #"{"b": 3, "a": [2, "x"]}"#)
    }

    @Test("string escapes decode, including surrogate pairs")
    func stringEscapes() throws {
        let value = try JSONValue(parsing: #""a\n\u00e9\ud83d\ude00\/\"\\""#)
        #expect(value == .string("a\né😀/\"\\"))
        #expect(try JSONValue(parsing: Data("\"é😀\"".utf8)) == .string("é😀"))
    }

    @Test(
        "malformed documents are rejected with what and where",
        arguments: [
            ("", "unexpected end of input, expected a value at byte 0"),
            ("[1, 2", "unexpected end of input, expected ',' or ']' at byte 5"),
            ("[1,]", "unexpected character ']', expected a value at byte 3"),
            (#"{"a" 1}"#, "unexpected character '1', expected ':' at byte 5"),
            (#"{"a": 1,}"#, "unexpected character '}', expected an object key string at byte 8"),
            ("5 6", "unexpected character '6' after the JSON value at byte 2"),
            ("01", "unexpected character '1' after the JSON value at byte 1"),
            ("+1", "unexpected character '+', expected a value at byte 0"),
            ("1.", "expected a digit after the decimal point at byte 2"),
            ("1e+", "expected a digit in the exponent at byte 3"),
            ("-", "unexpected end of input in number at byte 1"),
            ("tru", "unexpected end of input in 'true' at byte 3"),
            ("nul!", "invalid literal, expected 'null' at byte 0"),
            ("\"abc", "unterminated string at byte 0"),
            ("\"a\nb\"", "unescaped control character byte 0x0A in string at byte 2"),
            (#""\ud800""#, #"lone surrogate \ud800 in string at byte 1"#),
            (#""\udc00x""#, #"lone surrogate \udc00 in string at byte 1"#),
            (#""\ud800\u0041""#, #"lone surrogate \ud800 in string at byte 1"#),
            (#""\x""#, #"invalid escape sequence '\x' in string at byte 1"#),
            (#""\u12G4""#, "unexpected character 'G', expected a hex digit in \\u escape at byte 5"),
            ("nan", "invalid literal, expected 'null' at byte 0"),
        ])
    func malformed(input: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: input) }
        do {
            _ = try JSONValue(parsing: input)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("invalid UTF-8 is rejected, inside and outside strings")
    func invalidUTF8() {
        let cases: [([UInt8], String)] = [
            ([0x22, 0xFF, 0x22], "invalid UTF-8 at byte 1"),
            ([0x22, 0x61, 0xC3, 0x22], "invalid UTF-8 at byte 2"),  // truncated sequence
            ([0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8 at byte 1"),  // overlong '/'
            ([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8 at byte 1"),  // encoded surrogate
            ([0x22, 0x5C, 0x6E, 0xFF, 0x22], "invalid UTF-8 at byte 3"),  // after an escape
            ([0xEF, 0xBB, 0xBF, 0x31], "unexpected byte 0xEF, expected a value at byte 0"),  // BOM
        ]
        for (input, message) in cases {
            do {
                let value = try JSONValue(parsing: Data(input))
                Issue.record("\(input) parsed as \(value)")
            } catch {
                #expect(error.description == message, "input \(input)")
            }
        }
    }

    @Test("nesting is limited to 512 levels, and 100k levels fail cleanly instead of crashing")
    func depthLimit() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        var value = try JSONValue(parsing: deepest)
        var depth = 0
        while case .array(let elements) = value {
            depth += 1
            value = elements.first ?? .null
        }
        #expect(depth == 512)

        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONParseError(reason: "nesting deeper than 512 arrays/objects", offset: 512)) {
            try JSONValue(parsing: tooDeep)
        }
        let hostile = String(repeating: "[{\"a\":", count: 50_000)
        #expect(throws: JSONParseError(reason: "nesting deeper than 512 arrays/objects", offset: 1_536)) {
            try JSONValue(parsing: hostile)
        }
    }

    @Test("large objects de-duplicate keys through the index, too")
    func largeObject() throws {
        let members = (0..<20).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
        let value = try JSONValue(parsing: "{\(members), \"k3\": \"again\"}")
        guard case .object(let object) = value else { return }
        #expect(object.count == 20)
        #expect(object.keys[3] == "k3")
        #expect(object["k3"] == .string("again"))
    }
}
