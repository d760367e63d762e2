import Foundation
import Testing

@testable import OaaS

@Suite("Payload: PayloadArguments")
struct PayloadArgumentsTests {
    @Test("positional arguments from a JSON array")
    func positional() throws {
        let arguments = try PayloadArguments(bytes(#"[1.5, "x", {"x": 1, "y": 2}]"#), names: ["a", "b", "p"])
        #expect(try arguments.decode(Double.self, at: 0) == 1.5)
        #expect(try arguments.decode(String.self, at: 1) == "x")
        #expect(try arguments.decode(Point.self, at: 2) == Point(x: 1, y: 2))
    }

    @Test("named arguments from a JSON object, in any order, optional ones may be left out")
    func named() throws {
        let arguments = try PayloadArguments(bytes(#"{"b": "x", "a": 2}"#), names: ["a", "b", "c"])
        #expect(try arguments.decode(Int.self, at: 0) == 2)
        #expect(try arguments.decode(String.self, at: 1) == "x")
        #expect(try arguments.decode(Int?.self, at: 2) == nil)
        let missing = payloadError { () throws(PayloadError) in try arguments.decode(Double.self, at: 2) }
        #expect(missing?.code == "MISSING_ARGUMENT")
        #expect(missing?.message == "missing argument 'c': expected Double")
    }

    @Test("nested bytes and null in arguments")
    func bytesAndNull() throws {
        let arguments = try PayloadArguments(
            bytes(#"[{"__oaas_bytes__": true, "data": "eA=="}, null]"#), names: ["data", "note"])
        #expect(try arguments.decode(Data.self, at: 0) == Data("x".utf8))
        #expect(try arguments.decode(String?.self, at: 1) == nil)
    }

    @Test("an empty payload leaves every argument out")
    func empty() throws {
        let arguments = try PayloadArguments(Data(), names: ["a", "b"])
        #expect(try arguments.decode(Point?.self, at: 0) == nil)
        let error = payloadError { () throws(PayloadError) in try arguments.decode(Point.self, at: 1) }
        #expect(error?.message == "missing argument 'b': expected Point")
    }

    @Test("errors of the payload's shape")
    func shapeErrors() {
        let count = payloadError { () throws(PayloadError) in try PayloadArguments(bytes("[1]"), names: ["a", "b"]) }
        #expect(count?.code == "DESERIALIZATION_ERROR")
        #expect(count?.message == "expected 2 arguments (a, b), got an array of 1")

        let unknown = payloadError { () throws(PayloadError) in
            try PayloadArguments(bytes(#"{"a": 1, "z": 2}"#), names: ["a", "b"])
        }
        #expect(unknown?.code == "DESERIALIZATION_ERROR")
        #expect(unknown?.message == "unknown argument 'z', expected arguments (a, b)")

        let scalar = payloadError { () throws(PayloadError) in try PayloadArguments(bytes("5"), names: ["a", "b"]) }
        #expect(scalar?.code == "TYPE_MISMATCH_ERROR")
        #expect(scalar?.message == "Type mismatch: expected arguments (a, b) as a JSON array or object, got integer")

        let malformed = payloadError { () throws(PayloadError) in try PayloadArguments(bytes("[1,"), names: ["a"]) }
        #expect(malformed?.code == "DESERIALIZATION_ERROR")
        #expect(malformed?.message == "Invalid JSON payload for arguments (a): unexpected end of input, expected a value at byte 3")
    }

    @Test("conversion errors name the parameter")
    func conversionErrors() throws {
        let arguments = try PayloadArguments(bytes(#"{"a": "x", "b": [1, "y"]}"#), names: ["a", "b"])
        let top = payloadError { () throws(PayloadError) in try arguments.decode(Double.self, at: 0) }
        #expect(top?.code == "TYPE_MISMATCH_ERROR")
        #expect(top?.message == "Type mismatch: expected Double, got string for parameter 'a'")
        #expect(top?.expectedType == "Double")
        let nested = payloadError { () throws(PayloadError) in try arguments.decode([Int].self, at: 1) }
        #expect(nested?.message == "Type mismatch: expected Int, got string at [1] for parameter 'b'")
    }
}
