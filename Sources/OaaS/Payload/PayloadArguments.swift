#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The arguments of a method with several parameters, carried in one payload as a JSON array
/// (positional) or a JSON object keyed by parameter name.
///
/// Any thread. The payload is parsed once in `init`; each `decode` then converts one argument
/// with the same rules as `PayloadCodec.decodeArgument`, and its errors name the parameter.
public struct PayloadArguments: Sendable {
    /// The parameter names, in declaration order. Any thread.
    public let names: [String]
    /// One entry per name; nil where the object form left the argument out.
    let values: [JSONValue?]

    /// Parses the payload for parameters `names`. Any thread.
    ///
    /// An array must have exactly one element per name; an object may only use the names as
    /// keys. A key may be left out, which is an error later, in `decode`, unless that parameter
    /// is optional (only `decode` knows the type). An empty payload leaves every argument out.
    public init(_ payload: Data, names: [String]) throws(PayloadError) {
        self.names = names
        let described = "arguments (\(names.joined(separator: ", ")))"
        if payload.isEmpty {
            values = Array(repeating: nil, count: names.count)
            return
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload)
        } catch {
            throw PayloadError(
                code: PayloadError.deserializationCode, message: "Invalid JSON payload for \(described): \(error)",
                expectedType: described)
        }
        switch json {
        case .array(let elements):
            guard elements.count == names.count else {
                throw PayloadError(
                    code: PayloadError.deserializationCode,
                    message: "expected \(names.count) \(described), got an array of \(elements.count)",
                    expectedType: described)
            }
            values = elements
        case .object(let object):
            var found = [JSONValue?](repeating: nil, count: names.count)
            for (key, value) in object {
                guard let position = names.firstIndex(of: key) else {
                    throw PayloadError(
                        code: PayloadError.deserializationCode,
                        message: "unknown argument '\(key)', expected \(described)", expectedType: described)
                }
                found[position] = value
            }
            values = found
        default:
            throw PayloadError(
                code: PayloadError.typeMismatchCode,
                message: "Type mismatch: expected \(described) as a JSON array or object, got \(json.kindName)",
                expectedType: described)
        }
    }

    /// Decodes the argument at `index` (a position in `names`) as `T`. Any thread.
    ///
    /// A left-out argument is nil for an optional `T` and a `MISSING_ARGUMENT` error otherwise;
    /// nested `Data` is Python's tagged base64 form. `index` must be within `names`.
    @inlinable
    public func decode<T: Decodable>(_ type: T.Type, at index: Int) throws(PayloadError) -> T {
        precondition(names.indices.contains(index), "argument index \(index) out of range for \(names)")
        return try _decode(type, at: index)
    }

    @usableFromInline
    func _decode<T: Decodable>(_ type: T.Type, at index: Int) throws(PayloadError) -> T {
        let name = names[index]
        guard let value = values[index] else {
            if let optionalType = T.self as? any PayloadOptionalType.Type {
                return optionalType.payloadNone as! T
            }
            let typeName = PayloadTypeName.of(T.self)
            throw PayloadError(
                code: PayloadError.missingArgumentCode, message: "missing argument '\(name)': expected \(typeName)",
                expectedType: typeName)
        }
        do throws(PayloadError) {
            return try PayloadDecoder.decode(T.self, from: value)
        } catch {
            throw error.appending(" for parameter '\(name)'")
        }
    }
}
