#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The codec's `Decoder` over a parsed `JSONValue`, with the strict number rules of the payload
/// format: integers only for integer types and in range, either JSON number kind for floats.
///
/// Failures are thrown as `DecodingError`s, because user `init(from:)` code may catch them (for
/// example to fall back to a default); each carries the final `PayloadError` as its underlying
/// error so the codec's boundary can report the precise message.
struct PayloadDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    /// The type being decoded, so a container request on the wrong JSON kind can name it.
    let expectedType: Any.Type
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw PayloadUnboxer.mismatch(expectedType, value, codingPath, nil)
        }
        return KeyedDecodingContainer(PayloadKeyedDecodingContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw PayloadUnboxer.mismatch(expectedType, value, codingPath, nil)
        }
        return PayloadUnkeyedDecodingContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try PayloadUnboxer.bool(value, codingPath, nil) }
    func decode(_ type: String.Type) throws -> String { try PayloadUnboxer.string(value, codingPath, nil) }
    func decode(_ type: Double.Type) throws -> Double { try PayloadUnboxer.double(value, codingPath, nil) }
    func decode(_ type: Float.Type) throws -> Float { try PayloadUnboxer.float(value, codingPath, nil) }
    func decode(_ type: Int.Type) throws -> Int { try PayloadUnboxer.integer(value, Int.self, codingPath, nil) }
    func decode(_ type: Int8.Type) throws -> Int8 { try PayloadUnboxer.integer(value, Int8.self, codingPath, nil) }
    func decode(_ type: Int16.Type) throws -> Int16 { try PayloadUnboxer.integer(value, Int16.self, codingPath, nil) }
    func decode(_ type: Int32.Type) throws -> Int32 { try PayloadUnboxer.integer(value, Int32.self, codingPath, nil) }
    func decode(_ type: Int64.Type) throws -> Int64 { try PayloadUnboxer.integer(value, Int64.self, codingPath, nil) }
    func decode(_ type: UInt.Type) throws -> UInt { try PayloadUnboxer.integer(value, UInt.self, codingPath, nil) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try PayloadUnboxer.integer(value, UInt8.self, codingPath, nil) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try PayloadUnboxer.integer(value, UInt16.self, codingPath, nil) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try PayloadUnboxer.integer(value, UInt32.self, codingPath, nil) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try PayloadUnboxer.integer(value, UInt64.self, codingPath, nil) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try PayloadUnboxer.unbox(value, T.self, codingPath, nil)
    }

    /// Decodes a complete value, mapping every failure to a `PayloadError` that names `T`.
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(PayloadError) -> T {
        do {
            return try PayloadUnboxer.unbox(value, T.self, [], nil)
        } catch {
            throw PayloadUnboxer.payloadError(from: error, decoding: T.self)
        }
    }
}

/// Converts JSON values to Swift primitives with the codec's rules, and builds its errors.
enum PayloadUnboxer {
    static func unbox<T: Decodable>(
        _ value: JSONValue, _ type: T.Type, _ path: [any CodingKey], _ key: (any CodingKey)?
    ) throws -> T {
        // Common element types first: `[Double]` and friends decode each element through here.
        if T.self == Double.self { return try double(value, path, key) as! T }
        if T.self == Int.self { return try integer(value, Int.self, path, key) as! T }
        if T.self == String.self { return try string(value, path, key) as! T }
        if T.self == Bool.self { return try bool(value, path, key) as! T }
        if T.self == Float.self { return try float(value, path, key) as! T }
        if T.self == Int64.self { return try integer(value, Int64.self, path, key) as! T }
        if T.self == Data.self { return try data(value, path, key) as! T }
        if T.self == URL.self { return try url(value, path, key) as! T }
        if T.self == JSONValue.self { return value as! T }
        let decoder = PayloadDecoder(value: value, codingPath: PayloadCodingPath.child(path, key), expectedType: T.self)
        return try T(from: decoder)
    }

    static func double(_ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?) throws -> Double {
        switch value {
        case .number(let number): return number
        case .integer(let integer): return Double(integer)
        default: throw mismatch(Double.self, value, path, key)
        }
    }

    static func float(_ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?) throws -> Float {
        let number: Double
        switch value {
        case .number(let n): number = n
        case .integer(let i): number = Double(i)
        default: throw mismatch(Float.self, value, path, key)
        }
        let narrowed = Float(number)
        if number.isFinite && !narrowed.isFinite {
            throw mismatch(Float.self, value, path, key, detail: "\(number) is out of range")
        }
        return narrowed
    }

    static func integer<I: FixedWidthInteger>(
        _ value: JSONValue, _ type: I.Type, _ path: [any CodingKey], _ key: (any CodingKey)?
    ) throws -> I {
        switch value {
        case .integer(let integer):
            guard let exact = I(exactly: integer) else {
                throw mismatch(I.self, value, path, key, detail: "\(integer) is out of range")
            }
            return exact
        case .number(let number) where number.isFinite && number == number.rounded(.towardZero)
            && number.magnitude >= 0x1p63:
            // An integer literal too long for Int64 was parsed as a float; say why it fails.
            throw mismatch(I.self, value, path, key, detail: "\(JSONValue.number(number)) is out of range")
        default:
            throw mismatch(I.self, value, path, key)
        }
    }

    static func bool(_ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, value, path, key) }
        return flag
    }

    static func string(_ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?) throws -> String {
        guard case .string(let text) = value else { throw mismatch(String.self, value, path, key) }
        return text
    }

    /// Nested bytes arrive as Python's tagged dict `{"__oaas_bytes__": true, "data": "<base64>"}`;
    /// a bare base64 string is accepted too, as other JSON producers commonly write bytes that way.
    static func data(_ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?) throws -> Data {
        let encoded: String
        switch value {
        case .string(let text):
            encoded = text
        case .object(let object):
            guard case .bool(true)? = object["__oaas_bytes__"], case .string(let text)? = object["data"] else {
                throw corrupted(
                    "expected Data as {\"__oaas_bytes__\": true, \"data\": \"<base64>\"}", path, key)
            }
            encoded = text
        default:
            throw mismatch(Data.self, value, path, key)
        }
        guard let bytes = Data(base64Encoded: encoded) else {
            throw corrupted("invalid base64 for Data", path, key)
        }
        return bytes
    }

    static func url(_ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?) throws -> URL {
        let text = try string(value, path, key)
        guard let url = URL(string: text) else { throw corrupted("invalid URL '\(text)'", path, key) }
        return url
    }

    // MARK: Errors

    static func mismatch(
        _ expected: Any.Type, _ value: JSONValue, _ path: [any CodingKey], _ key: (any CodingKey)?,
        detail: String? = nil
    ) -> DecodingError {
        mismatch(expected, named: PayloadTypeName.of(expected), value, path, key, detail: detail)
    }

    /// A mismatch naming something other than a Swift type, such as a nested `object` container.
    static func mismatch(
        _ expected: Any.Type, named name: String, _ value: JSONValue, _ path: [any CodingKey],
        _ key: (any CodingKey)?, detail: String? = nil
    ) -> DecodingError {
        let fullPath = PayloadCodingPath.child(path, key)
        var message = "Type mismatch: expected \(name), got \(value.kindName)" + PayloadCodingPath.suffix(fullPath)
        if let detail { message += " (\(detail))" }
        let error = PayloadError(code: PayloadError.typeMismatchCode, message: message, expectedType: name)
        return .typeMismatch(
            expected, DecodingError.Context(codingPath: fullPath, debugDescription: message, underlyingError: error))
    }

    static func corrupted(_ reason: String, _ path: [any CodingKey], _ key: (any CodingKey)?) -> DecodingError {
        let fullPath = PayloadCodingPath.child(path, key)
        let message = "Invalid value" + PayloadCodingPath.suffix(fullPath) + ": " + reason
        let error = PayloadError(code: PayloadError.deserializationCode, message: message, expectedType: "")
        return .dataCorrupted(DecodingError.Context(codingPath: fullPath, debugDescription: message, underlyingError: error))
    }

    static func missingKey(_ key: any CodingKey, _ path: [any CodingKey]) -> DecodingError {
        let message = "Missing key '\(key.stringValue)'" + PayloadCodingPath.suffix(path)
        let error = PayloadError(code: PayloadError.deserializationCode, message: message, expectedType: "")
        return .keyNotFound(key, DecodingError.Context(codingPath: path, debugDescription: message, underlyingError: error))
    }

    static func pastEnd(_ type: Any.Type, _ path: [any CodingKey], _ index: Int) -> DecodingError {
        let fullPath = path + [PayloadIndexKey(index)]
        let message = "Missing value: expected \(PayloadTypeName.of(type))" + PayloadCodingPath.suffix(fullPath)
            + " (the array has only \(index) elements)"
        let error = PayloadError(code: PayloadError.deserializationCode, message: message, expectedType: "")
        return .valueNotFound(type, DecodingError.Context(codingPath: fullPath, debugDescription: message, underlyingError: error))
    }

    /// Turns whatever a decode threw into the codec's error, reporting `T` as the expected type.
    /// Errors the codec raised itself carry their final message; errors from user code or the
    /// standard library (an enum's invalid raw value, say) are described from their context.
    static func payloadError(from error: any Error, decoding type: Any.Type) -> PayloadError {
        let typeName = PayloadTypeName.of(type)
        if let error = error as? PayloadError { return error.reporting(expectedType: typeName) }
        guard let decodingError = error as? DecodingError else {
            return PayloadError(
                code: PayloadError.deserializationCode,
                message: "Failed to deserialize data to type \(typeName): \(error)", expectedType: typeName)
        }
        let code: String
        let message: String
        switch decodingError {
        case .typeMismatch(let expected, let context):
            if let own = context.underlyingError as? PayloadError { return own.reporting(expectedType: typeName) }
            code = PayloadError.typeMismatchCode
            message = "Type mismatch: expected \(PayloadTypeName.of(expected))"
                + PayloadCodingPath.suffix(context.codingPath) + ": " + context.debugDescription
        case .valueNotFound(let expected, let context):
            if let own = context.underlyingError as? PayloadError { return own.reporting(expectedType: typeName) }
            code = PayloadError.deserializationCode
            message = "Missing value: expected \(PayloadTypeName.of(expected))"
                + PayloadCodingPath.suffix(context.codingPath) + ": " + context.debugDescription
        case .keyNotFound(let key, let context):
            if let own = context.underlyingError as? PayloadError { return own.reporting(expectedType: typeName) }
            code = PayloadError.deserializationCode
            message = "Missing key '\(key.stringValue)'" + PayloadCodingPath.suffix(context.codingPath)
                + ": " + context.debugDescription
        case .dataCorrupted(let context):
            if let own = context.underlyingError as? PayloadError { return own.reporting(expectedType: typeName) }
            code = PayloadError.deserializationCode
            message = "Invalid value" + PayloadCodingPath.suffix(context.codingPath) + ": " + context.debugDescription
        @unknown default:
            code = PayloadError.deserializationCode
            message = "Failed to deserialize data to type \(typeName): \(decodingError)"
        }
        return PayloadError(code: code, message: message, expectedType: typeName)
    }
}
