import Foundation
import Testing

@testable import OaaS

@Suite("Payload: encoding matches the Python SDK byte for byte")
struct PayloadEncodingTests {
    @Test("scalars: json.dumps forms, strings quoted as values and raw as results")
    func scalars() throws {
        #expect(text(try PayloadCodec.encodeValue(5)) == "5")
        #expect(text(try PayloadCodec.encodeResult(5)) == "5")
        #expect(text(try PayloadCodec.encodeValue(2.5)) == "2.5")
        #expect(text(try PayloadCodec.encodeValue(5.0)) == "5.0")
        #expect(text(try PayloadCodec.encodeResult(7.5)) == "7.5")
        #expect(text(try PayloadCodec.encodeValue(true)) == "true")
        #expect(text(try PayloadCodec.encodeResult(false)) == "false")
        #expect(text(try PayloadCodec.encodeValue("abc")) == #""abc""#)
        #expect(text(try PayloadCodec.encodeResult("hi")) == "hi")
        #expect(text(try PayloadCodec.encodeValue(Int.min)) == "-9223372036854775808")
        #expect(text(try PayloadCodec.encodeValue(Int32(-7))) == "-7")
        #expect(text(try PayloadCodec.encodeValue(UInt8(255))) == "255")
    }

    @Test("doubles use Python's repr layout, including the exponent switch points")
    func doubles() throws {
        let cases: [(Double, String)] = [
            (1e-05, "1e-05"), (0.0001, "0.0001"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
            (0.1, "0.1"), (0.30000000000000004, "0.30000000000000004"), (1.5e300, "1.5e+300"),
            (-2.5e-7, "-2.5e-07"), (.leastNonzeroMagnitude, "5e-324"), (-0.0, "-0.0"), (0, "0.0"),
            (.nan, "NaN"), (.infinity, "Infinity"), (-.infinity, "-Infinity"),
            // Whole numbers take a shortcut below 1e16; these pin its edges to repr's output.
            (5, "5.0"), (-3, "-3.0"), (1234567, "1234567.0"), (9999999999999998, "9999999999999998.0"),
            (-9999999999999998, "-9999999999999998.0"), (9007199254740992, "9007199254740992.0"),
            (1, "1.0"), (-1, "-1.0"), (10, "10.0"),
        ]
        for (value, expected) in cases {
            #expect(text(try PayloadCodec.encodeValue(value)) == expected)
            #expect(text(try PayloadCodec.encodeResult([value])) == "[\(expected)]", "nested \(expected)")
        }
        // A Float prints its own shortest form, not the widened double's digits.
        #expect(text(try PayloadCodec.encodeValue(Float(0.1))) == "0.1")
    }

    @Test("non-ASCII text is escaped as \\uXXXX, astral characters as surrogate pairs")
    func nonASCII() throws {
        #expect(text(try PayloadCodec.encodeValue("é")) == #""\u00e9""#)
        #expect(text(try PayloadCodec.encodeValue("😀")) == #""\ud83d\ude00""#)
        #expect(text(try PayloadCodec.encodeValue("say \"hi\"\n")) == #""say \"hi\"\n""#)
        // As a result, a string is raw UTF-8, not escaped.
        #expect(try PayloadCodec.encodeResult("é😀") == Data("é😀".utf8))
    }

    @Test("collections and nested bytes as Python writes them")
    func collections() throws {
        #expect(text(try PayloadCodec.encodeResult([JSONValue.integer(1), "a"])) == #"[1, "a"]"#)
        #expect(
            text(try PayloadCodec.encodeResult(MixedList(data: Data("x".utf8))))
                == #"{"k": [1, {"__oaas_bytes__": true, "data": "eA=="}]}"#)
        #expect(
            text(try PayloadCodec.encodeValue(["k": Data("x".utf8)]))
                == #"{"k": {"__oaas_bytes__": true, "data": "eA=="}}"#)
        #expect(text(try PayloadCodec.encodeValue([1, nil, 3] as [Int?])) == "[1, null, 3]")
        #expect(text(try PayloadCodec.encodeValue([[1.5], []] as [[Double]])) == "[[1.5], []]")
    }

    @Test("struct keys keep declaration order; dictionary keys are sorted for stable bytes")
    func keyOrder() throws {
        let ordered = Ordered(zeta: 1, alpha: "x", mid: [1.5])
        #expect(text(try PayloadCodec.encodeValue(ordered)) == #"{"zeta": 1, "alpha": "x", "mid": [1.5]}"#)
        #expect(text(try PayloadCodec.encodeValue(["b": 1, "a": 2, "c": 3])) == #"{"a": 2, "b": 1, "c": 3}"#)
        #expect(text(try PayloadCodec.encodeValue([10: "x", 2: "y", -1: "z"])) == #"{"-1": "z", "2": "y", "10": "x"}"#)
        // Optional struct members that are nil are left out, as synthesized Codable does.
        #expect(text(try PayloadCodec.encodeValue(Line(point: Point(x: 1, y: 2), label: "é"))) == #"{"point": {"x": 1.0, "y": 2.0}, "label": "\u00e9"}"#)
    }

    @Test("nil is an empty payload; a wrapped value follows encodeValue, Data stays raw")
    func optionals() throws {
        #expect(try PayloadCodec.encodeResult(Int?.none).isEmpty)
        #expect(try PayloadCodec.encodeValue(String?.none).isEmpty)
        #expect(try PayloadCodec.encodeValue(Point??.some(nil)).isEmpty)
        #expect(text(try PayloadCodec.encodeResult(String?.some("hi"))) == #""hi""#)
        #expect(text(try PayloadCodec.encodeValue(Double?.some(2.5))) == "2.5")
        let raw = Data([0, 0xFF, 0x22])
        #expect(try PayloadCodec.encodeResult(raw) == raw)
        #expect(try PayloadCodec.encodeValue(raw) == raw)
        #expect(try PayloadCodec.encodeValue(Data?.some(raw)) == raw)
    }

    @Test("values JSON cannot carry exactly are SERIALIZATION_ERROR")
    func serializationError() {
        let error = payloadError { () throws(PayloadError) in try PayloadCodec.encodeValue([UInt64.max]) }
        #expect(error?.code == "SERIALIZATION_ERROR")
        #expect(
            error?.message
                == "Failed to serialize value of type Array<UInt64>: UInt64 value 18446744073709551615 does not fit a JSON integer (Int64) at [0]"
        )
        #expect(error?.expectedType == "Array<UInt64>")
        #expect(text((try? PayloadCodec.encodeValue(UInt64(Int64.max))) ?? Data()) == "9223372036854775807")
    }

    @Test("the APP_ERROR body has Python's keys, order and spacing")
    func errorPayload() {
        let payload = PayloadCodec.errorPayload(
            errorType: "TypeError", parameterType: "float", message: "bad é", code: "RPC_PARAM_ERROR")
        #expect(
            text(payload)
                == #"{"error_type": "TypeError", "parameter_type": "float", "error_message": "bad \u00e9", "error_code": "RPC_PARAM_ERROR", "details": {}}"#
        )
    }
}
