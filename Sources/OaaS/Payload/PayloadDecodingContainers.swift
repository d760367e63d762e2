/// Keyed container of `PayloadDecoder` over a JSON object.
struct PayloadKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]
    /// Key positions, built only for larger objects: a linear scan is cheaper for small structs.
    private let index: [String: Int]?

    init(object: JSONObject, codingPath: [any CodingKey]) {
        self.object = object
        self.codingPath = codingPath
        if object.count > 8 {
            var built = [String: Int](minimumCapacity: object.count)
            for (i, key) in object.keys.enumerated() { built[key] = i }
            index = built
        } else {
            index = nil
        }
    }

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { lookup(key) != nil }

    private func lookup(_ key: Key) -> JSONValue? {
        let name = key.stringValue
        let position = index.map { $0[name] } ?? object.keys.firstIndex(of: name)
        return position.map { object.values[$0] }
    }

    private func require(_ key: Key) throws -> JSONValue {
        guard let value = lookup(key) else { throw PayloadUnboxer.missingKey(key, codingPath) }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try require(key) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try PayloadUnboxer.bool(require(key), codingPath, key)
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try PayloadUnboxer.string(require(key), codingPath, key)
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try PayloadUnboxer.double(require(key), codingPath, key)
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try PayloadUnboxer.float(require(key), codingPath, key)
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try PayloadUnboxer.integer(require(key), Int.self, codingPath, key)
    }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try PayloadUnboxer.integer(require(key), Int8.self, codingPath, key)
    }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try PayloadUnboxer.integer(require(key), Int16.self, codingPath, key)
    }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try PayloadUnboxer.integer(require(key), Int32.self, codingPath, key)
    }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try PayloadUnboxer.integer(require(key), Int64.self, codingPath, key)
    }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try PayloadUnboxer.integer(require(key), UInt.self, codingPath, key)
    }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try PayloadUnboxer.integer(require(key), UInt8.self, codingPath, key)
    }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try PayloadUnboxer.integer(require(key), UInt16.self, codingPath, key)
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try PayloadUnboxer.integer(require(key), UInt32.self, codingPath, key)
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try PayloadUnboxer.integer(require(key), UInt64.self, codingPath, key)
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try PayloadUnboxer.unbox(require(key), T.self, codingPath, key)
    }

    /// One lookup instead of the default's three (`contains`, `decodeNil`, `decode`).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = lookup(key) else { return nil }
        if case .null = value { return nil }
        return try PayloadUnboxer.unbox(value, T.self, codingPath, key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let value = try require(key)
        guard case .object(let nested) = value else {
            throw PayloadUnboxer.mismatch([String: JSONValue].self, named: "object", value, codingPath, key)
        }
        return KeyedDecodingContainer(PayloadKeyedDecodingContainer<NestedKey>(object: nested, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let value = try require(key)
        guard case .array(let elements) = value else {
            throw PayloadUnboxer.mismatch([JSONValue].self, named: "array", value, codingPath, key)
        }
        return PayloadUnkeyedDecodingContainer(elements: elements, codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        let key = PayloadNameKey("super")
        let value = object["super"] ?? .null
        return PayloadDecoder(value: value, codingPath: codingPath + [key], expectedType: Any.self)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        PayloadDecoder(value: lookup(key) ?? .null, codingPath: codingPath + [key], expectedType: Any.self)
    }
}

/// Unkeyed container of `PayloadDecoder` over a JSON array.
struct PayloadUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// Returns the next element and advances only once it decoded, as `UnkeyedDecodingContainer` requires.
    private mutating func next<Result>(
        _ expected: Any.Type, _ body: (JSONValue, PayloadIndexKey, [any CodingKey]) throws -> Result
    ) throws -> Result {
        guard currentIndex < elements.count else {
            throw PayloadUnboxer.pastEnd(expected, codingPath, currentIndex)
        }
        let result = try body(elements[currentIndex], PayloadIndexKey(currentIndex), codingPath)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < elements.count else {
            throw PayloadUnboxer.pastEnd(Optional<Any>.self, codingPath, currentIndex)
        }
        if case .null = elements[currentIndex] {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try next(type) { try PayloadUnboxer.bool($0, $2, $1) }
    }
    mutating func decode(_ type: String.Type) throws -> String {
        try next(type) { try PayloadUnboxer.string($0, $2, $1) }
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        try next(type) { try PayloadUnboxer.double($0, $2, $1) }
    }
    mutating func decode(_ type: Float.Type) throws -> Float {
        try next(type) { try PayloadUnboxer.float($0, $2, $1) }
    }
    mutating func decode(_ type: Int.Type) throws -> Int {
        try next(type) { try PayloadUnboxer.integer($0, Int.self, $2, $1) }
    }
    mutating func decode(_ type: Int8.Type) throws -> Int8 {
        try next(type) { try PayloadUnboxer.integer($0, Int8.self, $2, $1) }
    }
    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        try next(type) { try PayloadUnboxer.integer($0, Int16.self, $2, $1) }
    }
    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        try next(type) { try PayloadUnboxer.integer($0, Int32.self, $2, $1) }
    }
    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        try next(type) { try PayloadUnboxer.integer($0, Int64.self, $2, $1) }
    }
    mutating func decode(_ type: UInt.Type) throws -> UInt {
        try next(type) { try PayloadUnboxer.integer($0, UInt.self, $2, $1) }
    }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        try next(type) { try PayloadUnboxer.integer($0, UInt8.self, $2, $1) }
    }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        try next(type) { try PayloadUnboxer.integer($0, UInt16.self, $2, $1) }
    }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        try next(type) { try PayloadUnboxer.integer($0, UInt32.self, $2, $1) }
    }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        try next(type) { try PayloadUnboxer.integer($0, UInt64.self, $2, $1) }
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next(T.self) { try PayloadUnboxer.unbox($0, T.self, $2, $1) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try next([String: JSONValue].self) { value, key, path in
            guard case .object(let nested) = value else {
                throw PayloadUnboxer.mismatch([String: JSONValue].self, named: "object", value, path, key)
            }
            return KeyedDecodingContainer(
                PayloadKeyedDecodingContainer<NestedKey>(object: nested, codingPath: path + [key]))
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([JSONValue].self) { value, key, path in
            guard case .array(let nested) = value else {
                throw PayloadUnboxer.mismatch([JSONValue].self, named: "array", value, path, key)
            }
            return PayloadUnkeyedDecodingContainer(elements: nested, codingPath: path + [key])
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next(Any.self) { value, key, path in
            PayloadDecoder(value: value, codingPath: path + [key], expectedType: Any.self)
        }
    }
}
