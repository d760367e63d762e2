#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Keyed container of `PayloadEncoder`, writing into a shared object box.
struct PayloadKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: PayloadObjectBox
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue, _ key: Key) { box.set(key.stringValue, .value(value)) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(.number(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(PayloadBoxer.float(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        put(try PayloadBoxer.unsigned(value, path: codingPath, key: key), key)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        put(try PayloadBoxer.unsigned(value, path: codingPath, key: key), key)
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.set(key.stringValue, try PayloadBoxer.box(value, path: codingPath, key: key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = PayloadObjectBox(sortKeys: false)
        box.set(key.stringValue, .object(nested))
        return KeyedEncodingContainer(PayloadKeyedEncodingContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = PayloadArrayBox()
        box.set(key.stringValue, .array(nested))
        return PayloadUnkeyedEncodingContainer(box: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(named: PayloadNameKey("super"))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(named: key)
    }

    private func superEncoder(named key: any CodingKey) -> any Encoder {
        let encoder = PayloadEncoder(codingPath: codingPath + [key])
        box.set(key.stringValue, .deferred(encoder))
        return encoder
    }
}

/// Unkeyed container of `PayloadEncoder`, appending to a shared array box.
struct PayloadUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let box: PayloadArrayBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    private func put(_ value: JSONValue) { box.items.append(.value(value)) }
    private var nextKey: PayloadIndexKey { PayloadIndexKey(box.items.count) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.number(value)) }
    mutating func encode(_ value: Float) throws { put(PayloadBoxer.float(value)) }
    mutating func encode(_ value: Int) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt) throws { put(try PayloadBoxer.unsigned(value, path: codingPath, key: nextKey)) }
    mutating func encode(_ value: UInt8) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { put(try PayloadBoxer.unsigned(value, path: codingPath, key: nextKey)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try PayloadBoxer.box(value, path: codingPath, key: nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = PayloadObjectBox(sortKeys: false)
        let path = codingPath + [nextKey]
        box.items.append(.object(nested))
        return KeyedEncodingContainer(PayloadKeyedEncodingContainer<NestedKey>(box: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = PayloadArrayBox()
        let path = codingPath + [nextKey]
        box.items.append(.array(nested))
        return PayloadUnkeyedEncodingContainer(box: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = PayloadEncoder(codingPath: codingPath + [nextKey])
        box.items.append(.deferred(encoder))
        return encoder
    }
}

/// Single-value container of `PayloadEncoder`: stores the value as the encoder's result.
struct PayloadSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: PayloadEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func put(_ value: JSONValue) { encoder.item = .value(value) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(.number(value)) }
    mutating func encode(_ value: Float) throws { put(PayloadBoxer.float(value)) }
    mutating func encode(_ value: Int) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.integer(value)) }
    mutating func encode(_ value: UInt) throws { put(try PayloadBoxer.unsigned(value, path: codingPath, key: nil)) }
    mutating func encode(_ value: UInt8) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.integer(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { put(try PayloadBoxer.unsigned(value, path: codingPath, key: nil)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.item = try PayloadBoxer.box(value, path: codingPath, key: nil)
    }
}
