import Foundation
import Testing

@testable import OaaS
import OaasTesting

@Suite("Payload: decoding")
struct PayloadDecodingTests {
    @Test("numbers: Double takes any JSON number, Int only in-range integers")
    func numbers() throws {
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes("5")) == 5)
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes(" 2.5\r\n")) == 2.5)
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes("1e-05")) == 1e-05)
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes("0.30000000000000004")) == 0.30000000000000004)
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes("123456789012345678901234567890")) == 1.2345678901234568e+29)
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes("-Infinity")) == -.infinity)
        #expect(try PayloadCodec.decodeArgument(Double.self, from: bytes("NaN")).isNaN)
        #expect(try PayloadCodec.decodeArgument(Float.self, from: bytes("0.1")) == Float(0.1))
        #expect(try PayloadCodec.decodeArgument(Int.self, from: bytes("3")) == 3)
        #expect(try PayloadCodec.decodeArgument(Int.self, from: bytes("-9223372036854775808")) == .min)
        #expect(try PayloadCodec.decodeArgument(UInt8.self, from: bytes("255")) == 255)
        #expect(try PayloadCodec.decodeArgument(Bool.self, from: bytes("true")))
        #expect(try PayloadCodec.decodeArgument(String.self, from: bytes(#""abc""#)) == "abc")
        #expect(try PayloadCodec.decodeArgument(String.self, from: bytes(#" "a\n\u00e9\ud83d\ude00" "#)) == "a\né😀")
        #expect(try PayloadCodec.decodeArgument(String.self, from: bytes(#""é""#)) == "é")
        #expect(try PayloadCodec.decodeValue(Int.self, from: bytes("42")) == 42)
    }

    @Test(
        "wrong JSON kinds are TYPE_MISMATCH_ERROR naming the Swift type and the JSON kind",
        arguments: [
            ("\"5\"", Double.self as SendableDecodableType, "Type mismatch: expected Double, got string"),
            ("3.5", Int.self, "Type mismatch: expected Int, got number"),
            ("true", Int.self, "Type mismatch: expected Int, got boolean"),
            ("1", Bool.self, "Type mismatch: expected Bool, got integer"),
            ("null", Double.self, "Type mismatch: expected Double, got null"),
            ("[1]", String.self, "Type mismatch: expected String, got array"),
            ("{}", Int.self, "Type mismatch: expected Int, got object"),
            ("300", Int8.self, "Type mismatch: expected Int8, got integer (300 is out of range)"),
            ("-1", UInt.self, "Type mismatch: expected UInt, got integer (-1 is out of range)"),
            ("9223372036854775808", Int.self, "Type mismatch: expected Int, got number (9.223372036854776e+18 is out of range)"),
            ("1e300", Float.self, "Type mismatch: expected Float, got number (1e+300 is out of range)"),
            ("5", Point.self, "Type mismatch: expected Point, got integer"),
            ("{\"x\": 1}", [Double].self, "Type mismatch: expected Array<Double>, got object"),
        ])
    func typeMismatch(payload: String, type: SendableDecodableType, message: String) {
        let error = decodeError(type, payload: bytes(payload))
        #expect(error?.code == "TYPE_MISMATCH_ERROR")
        #expect(error?.message == message)
        #expect(error?.expectedType == String(describing: type))
    }

    @Test("nested failures carry the coding path; expectedType stays the outer type")
    func nestedPaths() {
        let inArray = decodeError([Double].self, payload: bytes(#"[1, 2, "x"]"#))
        #expect(inArray?.message == "Type mismatch: expected Double, got string at [2]")
        #expect(inArray?.expectedType == "Array<Double>")

        let inStruct = decodeError(Line.self, payload: bytes(#"{"point": {"x": "a", "y": 1}, "label": "l"}"#))
        #expect(inStruct?.message == "Type mismatch: expected Double, got string at point.x")
        #expect(inStruct?.expectedType == "Line")

        let deep = decodeError([String: [Point]].self, payload: bytes(#"{"p": [{"x": 1, "y": 2}, {"x": 1, "y": true}]}"#))
        #expect(deep?.message == "Type mismatch: expected Double, got boolean at p[1].y")

        let missing = decodeError(Line.self, payload: bytes(#"{"point": {"x": 1}, "label": "l"}"#))
        #expect(missing?.code == "DESERIALIZATION_ERROR")
        #expect(missing?.message == "Missing key 'y' at point")

        let badEnum = decodeError([Color].self, payload: bytes(#"["red", "blue"]"#))
        #expect(badEnum?.code == "DESERIALIZATION_ERROR")
        #expect(badEnum?.message.hasPrefix("Invalid value at [1]: ") == true)
        #expect(badEnum?.message.contains("blue") == true)
    }

    @Test(
        "malformed JSON is DESERIALIZATION_ERROR quoting the parser",
        arguments: [
            ("abc", "Invalid JSON payload for String: unexpected character 'a', expected a value at byte 0", String.self as SendableDecodableType),
            ("[1, 2", "Invalid JSON payload for Array<Int>: unexpected end of input, expected ',' or ']' at byte 5", [Int].self),
            ("5 x", "Invalid JSON payload for Double: unexpected character 'x' after the JSON value at byte 2", Double.self),
            ("12a", "Invalid JSON payload for Int: unexpected character 'a' after the JSON value at byte 2", Int.self),
            ("tru", "Invalid JSON payload for Bool: unexpected end of input in 'true' at byte 3", Bool.self),
            (#"{"x": 1, "y": 2"#, "Invalid JSON payload for Point: unexpected end of input, expected ',' or '}' at byte 15", Point.self),
        ])
    func malformed(payload: String, message: String, type: SendableDecodableType) {
        let error = decodeError(type, payload: bytes(payload))
        #expect(error?.code == "DESERIALIZATION_ERROR")
        #expect(error?.message == message)
    }

    @Test("invalid UTF-8 and absurd nesting are errors, not crashes")
    func hostileInput() {
        let utf8 = decodeError(String.self, payload: Data([0x22, 0xC3, 0x28, 0x22]))
        #expect(utf8?.code == "DESERIALIZATION_ERROR")
        #expect(utf8?.message == "Invalid JSON payload for String: invalid UTF-8 at byte 1")

        let deep = decodeError(JSONValue.self, payload: Data(repeating: UInt8(ascii: "["), count: 100_000))
        #expect(deep?.code == "DESERIALIZATION_ERROR")
        #expect(deep?.message == "Invalid JSON payload for JSONValue: nesting deeper than 512 arrays/objects at byte 512")
    }

    @Test("an empty payload is nil for optionals and MISSING_ARGUMENT otherwise")
    func emptyPayload() throws {
        for type in [Double.self, Int.self, Bool.self, String.self, Data.self, Point.self] as [SendableDecodableType] {
            let error = decodeError(type, payload: Data())
            #expect(error?.code == "MISSING_ARGUMENT")
            #expect(error?.message == "missing argument: expected \(type)")
        }
        #expect(try PayloadCodec.decodeArgument(Double?.self, from: Data()) == nil)
        #expect(try PayloadCodec.decodeArgument(Point?.self, from: Data()) == nil)
        #expect(try PayloadCodec.decodeArgument(Point?.self, from: bytes("null")) == nil)
        #expect(try PayloadCodec.decodeValue(String.self, from: Data()) == nil)
        #expect(try PayloadCodec.decodeValue(Point.self, from: Data()) == nil)
    }

    @Test("Data: raw at the top level, Python's tagged form or base64 when nested")
    func bytesValues() throws {
        let raw = Data([0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF] + Array("hello".utf8))
        #expect(try PayloadCodec.decodeArgument(Data.self, from: raw) == raw)
        #expect(try PayloadCodec.decodeArgument(Data?.self, from: raw) == raw)
        #expect(try PayloadCodec.decodeValue(Data.self, from: raw) == raw)
        let tagged = #"{"name": "b", "data": {"__oaas_bytes__": true, "data": "+vv8/f7/aGVsbG8="}}"#
        #expect(try PayloadCodec.decodeArgument(Blob.self, from: bytes(tagged)) == Blob(name: "b", data: raw))
        let plain = #"{"name": "b", "data": "+vv8/f7/aGVsbG8="}"#
        #expect(try PayloadCodec.decodeArgument(Blob.self, from: bytes(plain)) == Blob(name: "b", data: raw))

        let badBase64 = decodeError(Blob.self, payload: bytes(#"{"name": "b", "data": "***"}"#))
        #expect(badBase64?.code == "DESERIALIZATION_ERROR")
        #expect(badBase64?.message == "Invalid value at data: invalid base64 for Data")
        let wrongKind = decodeError(Blob.self, payload: bytes(#"{"name": "b", "data": 5}"#))
        #expect(wrongKind?.message == "Type mismatch: expected Data, got integer at data")
    }

    @Test("a Python-written nested-bytes dict decodes as free-form JSON")
    func pythonDict() throws {
        let payload = bytes(#"{"k": [1, {"__oaas_bytes__": true, "data": "eA=="}]}"#)
        let value = try PayloadCodec.decodeArgument(JSONValue.self, from: payload)
        #expect(value == ["k": [1, ["__oaas_bytes__": true, "data": "eA=="]]])
        // and prints back to the same bytes
        #expect(try PayloadCodec.encodeResult(value) == payload)
    }

    private func decodeError(_ type: SendableDecodableType, payload: Data) -> PayloadError? {
        func attempt<T: Decodable>(_ type: T.Type) -> PayloadError? {
            payloadError { () throws(PayloadError) in try PayloadCodec.decodeArgument(T.self, from: payload) }
        }
        return attempt(type)
    }
}

@Suite("Payload: round trips")
struct PayloadRoundTripTests {
    static let everything = Everything(
        name: "ü 😀 \"q\"", count: -42, ratio: 0.1, small: -128, big: UInt64(Int64.max), flag: true,
        tags: ["b", "a", "c"], scores: ["x": [1, 2], "y": []], byID: [2: "two", 10: "ten"], maybe: 7,
        absent: nil, blob: Data([0, 1, 2, 255]), points: [Point(x: 1.5, y: -0.0)], color: .green,
        shape: .circle(radius: 2), nested: [[1, nil], []], single: 0.1)

    @Test("a struct using every supported shape survives encodeValue/decodeValue and encodeResult/decodeArgument")
    func everything() throws {
        let value = Self.everything
        #expect(try PayloadCodec.decodeValue(Everything.self, from: PayloadCodec.encodeValue(value)) == value)
        #expect(try PayloadCodec.decodeArgument(Everything.self, from: PayloadCodec.encodeResult(value)) == value)
        // The same bytes every time: set and dictionary order do not leak into the payload.
        let again = Everything(
            name: value.name, count: value.count, ratio: value.ratio, small: value.small, big: value.big,
            flag: value.flag, tags: ["c", "b", "a"], scores: ["y": [], "x": [1, 2]], byID: [10: "ten", 2: "two"],
            maybe: 7, absent: nil, blob: value.blob, points: value.points, color: .green, shape: .circle(radius: 2),
            nested: value.nested, single: value.single)
        let encoded = text(try PayloadCodec.encodeValue(value))
        #expect(encoded.contains(#""scores": {"x": [1, 2], "y": []}, "byID": {"2": "two", "10": "ten"}"#))
        #expect(!encoded.contains("absent"))
        #expect(try PayloadCodec.decodeValue(Everything.self, from: PayloadCodec.encodeValue(again)) == value)
    }

    @Test("collections, optionals and enums round-trip on their own")
    func collections() throws {
        let sets: Set<Point> = [Point(x: 1, y: 2), Point(x: 3, y: 4)]
        #expect(try PayloadCodec.decodeValue(Set<Point>.self, from: PayloadCodec.encodeValue(sets)) == sets)
        let dict: [String: Double?] = ["a": 1.5, "b": nil]
        #expect(try PayloadCodec.decodeValue([String: Double?].self, from: PayloadCodec.encodeValue(dict)) == dict)
        let shapes: [Shape] = [.circle(radius: 1), .square(side: 2), .empty]
        #expect(try PayloadCodec.decodeValue([Shape].self, from: PayloadCodec.encodeValue(shapes)) == shapes)
        let big = Dictionary(uniqueKeysWithValues: (0..<50).map { ("key\($0)", $0) })
        #expect(try PayloadCodec.decodeValue([String: Int].self, from: PayloadCodec.encodeValue(big)) == big)
        let strings = ["", "tab\t", "\u{0}", "é", "😀"]
        #expect(try PayloadCodec.decodeValue([String].self, from: PayloadCodec.encodeValue(strings)) == strings)
        #expect(try PayloadCodec.decodeValue(String.self, from: PayloadCodec.encodeValue("x\"\\y")) == "x\"\\y")
    }

    @Test("doubles survive the fast paths bit for bit")
    func doubles() throws {
        var generator = SeededRandom(seed: 0xD0B1E)
        for _ in 0..<2_000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            let decoded = try PayloadCodec.decodeValue(Double.self, from: PayloadCodec.encodeValue(value))
            #expect(decoded?.bitPattern == value.bitPattern, "\(value)")
        }
    }
}
