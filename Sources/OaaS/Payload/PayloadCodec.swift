#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Converts between Swift values and the payload bytes of invocations and object state, in the
/// Python SDK's format so Swift and Python peers can call each other and share stored objects.
///
/// Any thread: every function is pure. The generic entry points are `@inlinable` so that a call
/// with a concrete type specializes in the caller's module and the checks for `Double`, `Int`,
/// `Bool`, `String` and `Data` fold away into a direct call of the matching fast path.
public enum PayloadCodec {
    // MARK: Decoding

    /// Decodes a method argument. Any thread.
    ///
    /// An empty payload means "no argument": nil when `T` is an `Optional`, otherwise a
    /// `MISSING_ARGUMENT` error. `Data` takes the raw bytes; everything else is JSON, with
    /// `String` a quoted JSON string, integer types accepting only in-range JSON integers, and
    /// floating-point types accepting any JSON number.
    @inlinable
    public static func decodeArgument<T: Decodable>(_ type: T.Type, from payload: Data) throws(PayloadError) -> T {
        if T.self == Double.self { return try _decodeDouble(payload) as! T }
        if T.self == Int.self { return try _decodeInt(payload) as! T }
        if T.self == Bool.self { return try _decodeBool(payload) as! T }
        if T.self == String.self { return try _decodeString(payload) as! T }
        if T.self == Data.self { return try _decodeData(payload) as! T }
        return try _decodeGeneral(type, from: payload)
    }

    /// Decodes a stored state field: nil when the entry is empty (Python stores `None` that
    /// way), otherwise exactly like `decodeArgument`. Any thread.
    @inlinable
    public static func decodeValue<T: Decodable>(_ type: T.Type, from data: Data) throws(PayloadError) -> T? {
        if data.isEmpty { return nil }
        return try decodeArgument(type, from: data)
    }

    // MARK: Encoding

    /// Encodes a method's return value. Any thread.
    ///
    /// A `String` is sent as raw UTF-8 without quotes and `Data` as raw bytes, as Python does for
    /// `-> str` and `-> bytes` methods; `nil` is an empty payload; anything else is JSON printed
    /// like Python's `json.dumps`. An optional that holds a value is encoded like `encodeValue`
    /// (so an optional `String` is quoted, matching Python's handling of `Optional[str]`).
    @inlinable
    public static func encodeResult<T: Encodable>(_ value: T) throws(PayloadError) -> Data {
        if T.self == Double.self { return _encodeDouble(value as! Double) }
        if T.self == Int.self { return _encodeInteger(Int64(value as! Int)) }
        if T.self == Bool.self { return _encodeBool(value as! Bool) }
        if T.self == String.self { return _encodeRawString(value as! String) }
        if T.self == Data.self { return value as! Data }
        return try _encodeResultGeneral(value)
    }

    /// Encodes a state field or an argument value. Any thread.
    ///
    /// Like `encodeResult` except that a `String` is a quoted JSON string (`"hello"`), which is
    /// how Python stores `str` fields and sends `str` arguments.
    @inlinable
    public static func encodeValue<T: Encodable>(_ value: T) throws(PayloadError) -> Data {
        if T.self == Double.self { return _encodeDouble(value as! Double) }
        if T.self == Int.self { return _encodeInteger(Int64(value as! Int)) }
        if T.self == Bool.self { return _encodeBool(value as! Bool) }
        if T.self == String.self { return _encodeQuotedString(value as! String) }
        if T.self == Data.self { return value as! Data }
        return try _encodeValueGeneral(value)
    }

    /// The JSON body of an `APP_ERROR` response for a failed one-parameter method, byte for
    /// byte as Python builds it: `{"error_type": ..., "parameter_type": ..., "error_message":
    /// ..., "error_code": ..., "details": {}}`. Any thread.
    public static func errorPayload(errorType: String, parameterType: String, message: String, code: String) -> Data {
        let object = JSONObject(
            uniqueKeys: ["error_type", "parameter_type", "error_message", "error_code", "details"],
            values: [.string(errorType), .string(parameterType), .string(message), .string(code), .object(JSONObject())])
        return JSONValue.object(object).serialized()
    }
}

// MARK: - Helpers behind the inlinable entry points

extension PayloadCodec {
    @usableFromInline
    static func _decodeDouble(_ payload: Data) throws(PayloadError) -> Double {
        if let value = PayloadScalarScanner.double(payload) { return value }
        return try _decodeGeneral(Double.self, from: payload)
    }

    @usableFromInline
    static func _decodeInt(_ payload: Data) throws(PayloadError) -> Int {
        // Int is 64 bits on every platform this package supports.
        if let value = PayloadScalarScanner.integer(payload), let exact = Int(exactly: value) { return exact }
        return try _decodeGeneral(Int.self, from: payload)
    }

    @usableFromInline
    static func _decodeBool(_ payload: Data) throws(PayloadError) -> Bool {
        if let value = PayloadScalarScanner.bool(payload) { return value }
        return try _decodeGeneral(Bool.self, from: payload)
    }

    @usableFromInline
    static func _decodeString(_ payload: Data) throws(PayloadError) -> String {
        if let value = PayloadScalarScanner.string(payload) { return value }
        return try _decodeGeneral(String.self, from: payload)
    }

    @usableFromInline
    static func _decodeData(_ payload: Data) throws(PayloadError) -> Data {
        if payload.isEmpty { throw missingArgument(Data.self) }
        return payload
    }

    /// The general decoding path: empty-payload rules, raw bytes for (optional) `Data`, then
    /// JSON through `PayloadDecoder`.
    @usableFromInline
    static func _decodeGeneral<T: Decodable>(_ type: T.Type, from payload: Data) throws(PayloadError) -> T {
        let optionalType = T.self as? any PayloadOptionalType.Type
        if payload.isEmpty {
            guard let optionalType else { throw missingArgument(T.self) }
            return optionalType.payloadNone as! T
        }
        if T.self == Data.self { return payload as! T }
        if let optionalType, optionalType.payloadWrappedType == Data.self {
            // `Data?` is raw bytes like `Data`, so that what `encodeValue` writes reads back.
            return optionalType.payloadSome(payload)! as! T
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload)
        } catch {
            let name = PayloadTypeName.of(T.self)
            throw PayloadError(
                code: PayloadError.deserializationCode, message: "Invalid JSON payload for \(name): \(error)",
                expectedType: name)
        }
        return try PayloadDecoder.decode(T.self, from: json)
    }

    static func missingArgument(_ type: Any.Type) -> PayloadError {
        let name = PayloadTypeName.of(type)
        return PayloadError(
            code: PayloadError.missingArgumentCode, message: "missing argument: expected \(name)", expectedType: name)
    }

    @usableFromInline
    static func _encodeDouble(_ value: Double) -> Data {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: PythonFloatFormatter.maximumLength) { buffer in
            let count = PythonFloatFormatter.write(value, to: buffer.baseAddress!)
            return Data(bytes: buffer.baseAddress!, count: count)
        }
    }

    @usableFromInline
    static func _encodeInteger(_ value: Int64) -> Data {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            let count = JSONWriter.formatInteger(value, into: buffer.baseAddress!)
            return Data(bytes: buffer.baseAddress!, count: count)
        }
    }

    @usableFromInline
    static func _encodeBool(_ value: Bool) -> Data {
        let text: StaticString = value ? "true" : "false"
        return Data(bytes: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    @usableFromInline
    static func _encodeRawString(_ value: String) -> Data {
        // Through the contiguous UTF-8 buffer: one copy, and none of `Data(Sequence)`'s overhead.
        var copy = value
        return copy.withUTF8 { Data(buffer: $0) }
    }

    @usableFromInline
    static func _encodeQuotedString(_ value: String) -> Data {
        // Printable ASCII without quote or backslash needs no escaping: copy it between quotes.
        let utf8 = value.utf8
        let plain = utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        guard plain else {
            var writer = JSONWriter(capacity: utf8.count + 8)
            writer.writeString(value)
            return Data(writer.bytes)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: utf8.count + 2) { buffer in
            buffer[0] = UInt8(ascii: "\"")
            var n = 1
            for byte in utf8 {
                buffer[n] = byte
                n += 1
            }
            buffer[n] = UInt8(ascii: "\"")
            return Data(bytes: buffer.baseAddress!, count: n + 1)
        }
    }

    @usableFromInline
    static func _encodeResultGeneral<T: Encodable>(_ value: T) throws(PayloadError) -> Data {
        if T.self is any PayloadOptionalEncodable.Type {
            return try _encodeValueGeneral(value)
        }
        return try PayloadEncoder.encode(value).serialized()
    }

    @usableFromInline
    static func _encodeValueGeneral<T: Encodable>(_ value: T) throws(PayloadError) -> Data {
        if T.self is any PayloadOptionalEncodable.Type, let optional = value as? any PayloadOptionalEncodable {
            // A top-level nil is no bytes at all; a wrapped value is encoded on its own terms,
            // so `Data?` stays raw and nested optionals flatten.
            guard let wrapped = optional.payloadWrapped else { return Data() }
            return try encodeWrapped(wrapped)
        }
        return try PayloadEncoder.encode(value).serialized()
    }

    private static func encodeWrapped(_ wrapped: any Encodable) throws(PayloadError) -> Data {
        try encodeValue(wrapped)
    }
}
