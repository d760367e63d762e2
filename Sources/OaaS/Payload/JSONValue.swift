#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON document as Python's `json` module sees it: integers and floats are distinct, and the
/// non-standard `NaN`, `Infinity` and `-Infinity` tokens are numbers.
///
/// Any thread. Objects keep their keys in insertion (or parse) order because Python dicts do, and
/// payloads printed from a `JSONValue` must match what a Python peer prints byte for byte.
public enum JSONValue: Sendable, Equatable {
    /// `null`; Python `None`. Any thread.
    case null
    /// `true` or `false`. Any thread.
    case bool(Bool)
    /// A number written without fraction or exponent that fits `Int64`; Python `int`. Any thread.
    case integer(Int64)
    /// Any other number, including `NaN` and the infinities; Python `float`. Any thread.
    case number(Double)
    /// A string. Any thread.
    case string(String)
    /// An array. Any thread.
    case array([JSONValue])
    /// An object whose keys keep their order. Any thread.
    case object(JSONObject)

    /// The deepest nesting of arrays and objects the parser accepts. Any thread.
    ///
    /// A bound keeps a hostile payload from exhausting memory or the stack of whoever walks the
    /// result recursively; 512 is far beyond any real payload.
    public static let maximumNestingDepth = 512

    /// Parses a complete JSON document; anything after it other than whitespace is an error. Any thread.
    public init(parsing data: Data) throws(JSONParseError) {
        self = try JSONParser.parse(data)
    }

    /// Parses a complete JSON document from text. Any thread.
    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser.parse(Data(text.utf8))
    }

    /// The document printed exactly like Python's `json.dumps` with default arguments. Any thread.
    public func serialized() -> Data {
        var writer = JSONWriter()
        writer.write(self)
        return Data(writer.bytes)
    }

    /// The JSON kind as the codec names it in error messages: `null`, `boolean`, `integer`,
    /// `number`, `string`, `array` or `object`. Any thread.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The Python-style JSON text of the value. Any thread.
    public var description: String {
        var writer = JSONWriter()
        writer.write(self)
        // The writer only emits ASCII, so decoding cannot repair anything.
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// `true` or `false`. Any thread.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// An integer. Any thread.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A float. Any thread.
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A string. Any thread.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An array. Any thread.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object whose keys keep the literal's order. Any thread.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}
