@testable import OaasBus
import Testing

/// The small JSON reader behind publish acks: what it accepts, and that hostile input fails
/// with a reason instead of crashing or being half-read.
@Suite("JSON scanner")
struct JSONScannerTests {
    /// Reads an object of the given keys' integers and strings, skipping everything else.
    private func members(_ text: String) throws(JSONScanner.Failure) -> [String: String] {
        var scanner = JSONScanner(ascii(text))
        var found: [String: String] = [:]
        try scanner.readObject { scanner, key throws(JSONScanner.Failure) in
            switch key {
            case "n": found[key] = String(try scanner.readUInt64())
            case "i": found[key] = String(try scanner.readInt())
            case "s": found[key] = try scanner.readString()
            case "b": found[key] = String(try scanner.readBool())
            default: try scanner.skipValue()
            }
        }
        try scanner.expectEnd()
        return found
    }

    @Test("objects with blanks, skipped values of every kind, escapes")
    func accepted() throws {
        #expect(try members("{}") == [:])
        #expect(try members(" \t\r\n{ } \n") == [:])
        #expect(try members(#"{"n":12,"s":"KV_x"}"#) == ["n": "12", "s": "KV_x"])
        #expect(try members(#"{ "n" : 0 , "i" : -9223372036854775808 , "b" : false }"#) == ["n": "0", "i": "-9223372036854775808", "b": "false"])
        #expect(try members(#"{"n":18446744073709551615}"#) == ["n": "18446744073709551615"])
        #expect(try members(#"{"x":[1,-2.5e+3,0.1E2,"a",null,true,{"y":{}},[]],"z":{"w":[{}]},"n":1}"#) == ["n": "1"])
        #expect(try members(#"{"s":"a\"b\\c\/d\b\f\n\r\t"}"#) == ["s": "a\"b\\c/d\u{8}\u{C}\n\r\t"])
        #expect(try members(#"{"s":"\u003e \u00e9 \ud83d\ude00 \u0000"}"#) == ["s": "> é 😀 \u{0}"])
        #expect(try members(#"{"s":"ü😀 raw UTF-8"}"#) == ["s": "ü😀 raw UTF-8"])
        #expect(try members(#"{"\u006e":5}"#) == ["n": "5"])
    }

    @Test("malformed and hostile input fails", arguments: [
        "", " ", "[]", "null", "\"s\"", "{", "{\"n\"", "{\"n\":", "{\"n\":1", "{\"n\":1,", "{\"n\":1,}", "{,}",
        "{\"n\" 1}", "{n:1}", "{'n':1}", "{\"n\":1}}", "{\"n\":1} x", "{\"n\":1}{}",
        "{\"n\":-1}", "{\"n\":1.5}", "{\"n\":1e3}", "{\"n\":01}", "{\"n\":18446744073709551616}", "{\"n\":99999999999999999999999}",
        "{\"n\":\"12\"}", "{\"n\":true}", "{\"n\":null}", "{\"s\":12}", "{\"s\":\"open}", "{\"s\":\"a\nb\"}", "{\"s\":\"\\x\"}",
        "{\"s\":\"\\u12\"}", "{\"s\":\"\\uZZZZ\"}", "{\"s\":\"\\ud800\"}", "{\"s\":\"\\udc00\"}", "{\"s\":\"\\ud800\\u0041\"}",
        "{\"i\":9223372036854775808}", "{\"i\":-9223372036854775809}", "{\"i\":-}", "{\"b\":tru}", "{\"b\":1}",
        "{\"x\":[1,]}", "{\"x\":[1 2]}", "{\"x\":-}", "{\"x\":1.}", "{\"x\":1e}", "{\"x\":nul}", "{\"x\":@}", "{\"x\":[}",
    ])
    func refused(text: String) {
        #expect(throws: JSONScanner.Failure.self) { try members(text) }
    }

    @Test("nesting deeper than the limit fails instead of recursing without bound")
    func deepNesting() throws {
        let deep = "{\"x\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        #expect(throws: JSONScanner.Failure.self) { try members(deep) }
        let objects = String(repeating: "{\"x\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(throws: JSONScanner.Failure.self) { try members(objects) }
        let fine = "{\"x\":" + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + ",\"n\":3}"
        #expect(try members(fine) == ["n": "3"])
    }

    @Test("every truncation of a valid text fails")
    func truncations() {
        let text = #"{"n":12,"s":"a\u00e9\"b","x":[1,{"y":null}],"i":-4}"#
        let bytes = ascii(text)
        for end in 0..<bytes.count {
            let cut = String(decoding: bytes[..<end], as: UTF8.self)
            #expect(throws: JSONScanner.Failure.self, "\(cut)") { try members(cut) }
        }
        #expect(throws: Never.self) { try members(text) }
    }

    @Test("invalid UTF-8 inside strings is repaired, not fatal")
    func invalidUTF8() throws {
        var scanner = JSONScanner([UInt8(ascii: "\""), 0xFF, 0xC3, UInt8(ascii: "\"")])
        #expect(try scanner.readString() == "\u{FFFD}\u{FFFD}")
    }
}
