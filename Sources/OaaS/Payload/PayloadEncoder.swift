#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A piece of the JSON being built. Containers are handed out by value but must keep filling
/// the same storage, so arrays and objects live in reference boxes and are only turned into
/// `JSONValue`s once encoding is done.
enum PayloadEncodedItem {
    case value(JSONValue)
    case array(PayloadArrayBox)
    case object(PayloadObjectBox)
    /// A `superEncoder()` whose content is known only after the caller finishes with it.
    case deferred(PayloadEncoder)

    func finish() -> JSONValue {
        switch self {
        case .value(let value): value
        case .array(let box): box.finish()
        case .object(let box): box.finish()
        case .deferred(let encoder): encoder.finish()
        }
    }
}

/// The elements of an array being encoded.
final class PayloadArrayBox {
    var items: [PayloadEncodedItem] = []

    func finish() -> JSONValue {
        .array(items.map { $0.finish() })
    }
}

/// The members of an object being encoded, in the order of the `encode` calls; encoding the same
/// key twice replaces the value in place, like assigning to a Python dict.
final class PayloadObjectBox {
    private var keys: [String] = []
    private var items: [PayloadEncodedItem] = []
    private var index: [String: Int]? = nil
    /// Set for Swift dictionaries, whose iteration order is arbitrary per process.
    let sortKeys: Bool

    init(sortKeys: Bool) {
        self.sortKeys = sortKeys
    }

    func set(_ key: String, _ item: PayloadEncodedItem) {
        let existing: Int? = index.map { $0[key] } ?? keys.firstIndex(of: key)
        if let existing {
            items[existing] = item
            return
        }
        keys.append(key)
        items.append(item)
        if index != nil {
            index![key] = keys.count - 1
        } else if keys.count > 8 {
            // Large objects (dictionaries) would make the duplicate check quadratic.
            var built = [String: Int](minimumCapacity: keys.count * 2)
            for (i, k) in keys.enumerated() { built[k] = i }
            index = built
        }
    }

    func finish() -> JSONValue {
        guard sortKeys else {
            return .object(JSONObject(uniqueKeys: keys, values: items.map { $0.finish() }))
        }
        // Integer keys (from `[Int: V]`) sort numerically, everything else by its text.
        var order = Array(keys.indices)
        let numbers = keys.map { Int64($0) }
        if numbers.allSatisfy({ $0 != nil }) {
            order.sort { numbers[$0]! < numbers[$1]! }
        } else {
            order.sort { keys[$0] < keys[$1] }
        }
        return .object(JSONObject(uniqueKeys: order.map { keys[$0] }, values: order.map { items[$0].finish() }))
    }
}

/// The codec's `Encoder`: turns any `Encodable` into a `JSONValue` with Python's conventions
/// (nested `Data` as the tagged base64 dict, `URL` as its string, integers as JSON integers).
final class PayloadEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Whether the object this encoder produces is a Swift dictionary (see `PayloadObjectBox`).
    var sortKeys = false
    var item: PayloadEncodedItem?

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: PayloadObjectBox
        if case .object(let existing)? = item {
            box = existing
        } else {
            box = PayloadObjectBox(sortKeys: sortKeys)
            item = .object(box)
        }
        return KeyedEncodingContainer(PayloadKeyedEncodingContainer(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: PayloadArrayBox
        if case .array(let existing)? = item {
            box = existing
        } else {
            box = PayloadArrayBox()
            item = .array(box)
        }
        return PayloadUnkeyedEncodingContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        PayloadSingleValueEncodingContainer(encoder: self)
    }

    /// What was encoded; a type that encoded nothing becomes an empty object.
    func finish() -> JSONValue {
        item?.finish() ?? .object(JSONObject())
    }

    /// Encodes a complete value, mapping failures to `SERIALIZATION_ERROR`.
    static func encode<T: Encodable>(_ value: T) throws(PayloadError) -> JSONValue {
        do {
            return try PayloadBoxer.box(value, path: [], key: nil).finish()
        } catch let error as PayloadError {
            throw error
        } catch {
            let typeName = PayloadTypeName.of(T.self)
            let detail: String
            if case EncodingError.invalidValue(_, let context) = error {
                detail = context.debugDescription + PayloadCodingPath.suffix(context.codingPath)
            } else {
                detail = String(describing: error)
            }
            throw PayloadError(
                code: PayloadError.serializationCode,
                message: "Failed to serialize value of type \(typeName): \(detail)",
                expectedType: typeName)
        }
    }
}

/// Converts single values into encoded items; the primitive checks come first because arrays
/// and dictionaries of numbers and strings reach here through the generic `encode<T>`.
enum PayloadBoxer {
    static func box<T: Encodable>(
        _ value: T, path: [any CodingKey], key: (any CodingKey)?
    ) throws -> PayloadEncodedItem {
        if T.self == Double.self { return .value(.number(value as! Double)) }
        if T.self == Int.self { return .value(.integer(Int64(value as! Int))) }
        if T.self == String.self { return .value(.string(value as! String)) }
        if T.self == Bool.self { return .value(.bool(value as! Bool)) }
        if T.self == Float.self { return .value(float(value as! Float)) }
        if T.self == Int64.self { return .value(.integer(value as! Int64)) }
        if T.self == Data.self { return .value(taggedBytes(value as! Data)) }
        if T.self == URL.self { return .value(.string((value as! URL).absoluteString)) }
        if T.self == JSONValue.self { return .value(value as! JSONValue) }
        let encoder = PayloadEncoder(codingPath: PayloadCodingPath.child(path, key))
        if T.self is any PayloadDictionaryMarker.Type { encoder.sortKeys = true }
        try value.encode(to: encoder)
        return encoder.item ?? .value(.object(JSONObject()))
    }

    /// Python's JSON form of bytes nested in a container.
    static func taggedBytes(_ data: Data) -> JSONValue {
        .object(JSONObject(uniqueKeys: ["__oaas_bytes__", "data"], values: [.bool(true), .string(data.base64EncodedString())]))
    }

    /// A `Float` goes through its own shortest decimal form, so `Float(0.1)` prints as `0.1`
    /// (which reads back as the same `Float`) rather than `0.10000000149011612`.
    static func float(_ value: Float) -> JSONValue {
        guard value.isFinite else { return .number(Double(value)) }
        return .number(Double(value.description) ?? Double(value))
    }

    /// JSON integers here are `Int64`, so larger unsigned values cannot be represented exactly.
    static func unsigned<U: FixedWidthInteger & UnsignedInteger>(
        _ value: U, path: [any CodingKey], key: (any CodingKey)?
    ) throws -> JSONValue {
        guard let exact = Int64(exactly: value) else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(
                    codingPath: PayloadCodingPath.child(path, key),
                    debugDescription: "\(U.self) value \(value) does not fit a JSON integer (Int64)"))
        }
        return .integer(exact)
    }
}
