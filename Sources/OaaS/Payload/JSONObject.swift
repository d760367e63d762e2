/// The members of a JSON object in insertion order, with lookup by key.
///
/// Any thread. Order matters because Python dicts are ordered and printed payloads must match a
/// Python peer byte for byte. A key appears at most once: setting an existing key replaces its
/// value in place, as assigning to a Python dict does (and as `json.loads` treats duplicates).
/// Lookup is linear; decoders that look up many keys build their own index.
public struct JSONObject: Sendable, Equatable, Sequence {
    /// The keys in order. Any thread.
    public private(set) var keys: [String]
    /// The values, parallel to `keys`. Any thread.
    public private(set) var values: [JSONValue]

    /// An empty object. Any thread.
    public init() {
        keys = []
        values = []
    }

    /// An object from key-value pairs in order; a repeated key keeps its first position and its
    /// last value. Any thread.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        self.init()
        for (key, value) in pairs { self[key] = value }
    }

    /// Takes already de-duplicated parallel arrays without checking them; the parser's and the
    /// encoder's builders guarantee uniqueness themselves.
    init(uniqueKeys keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
    }

    /// The number of members. Any thread.
    public var count: Int { keys.count }

    /// Whether the object has no members. Any thread.
    public var isEmpty: Bool { keys.isEmpty }

    /// The value for `key`, or nil; setting nil removes the member, setting a new key appends it. Any thread.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = keys.firstIndex(of: key) else { return nil }
            return values[i]
        }
        set {
            if let i = keys.firstIndex(of: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Iterates `(key, value)` pairs in order. Any thread.
    public func makeIterator() -> Iterator { Iterator(object: self) }

    /// Iterator over the members of a `JSONObject`, in order. Any thread.
    public struct Iterator: IteratorProtocol {
        let object: JSONObject
        var index = 0

        /// The next member, or nil at the end. Any thread.
        public mutating func next() -> (key: String, value: JSONValue)? {
            guard index < object.keys.count else { return nil }
            defer { index += 1 }
            return (object.keys[index], object.values[index])
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object whose keys keep the literal's order. Any thread.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

/// Collects members while parsing or encoding, replacing duplicates in place without the
/// quadratic scan a plain array would need once objects get large.
struct JSONObjectBuilder {
    var keys: [String] = []
    var values: [JSONValue] = []
    /// Built only past a few members: tiny objects (the common case) are cheaper to scan.
    private var index: [String: Int]? = nil
    private static let indexThreshold = 8

    mutating func set(_ key: String, _ value: JSONValue) {
        if let i = position(of: key) {
            values[i] = value
            return
        }
        keys.append(key)
        values.append(value)
        if index != nil {
            index![key] = keys.count - 1
        } else if keys.count > Self.indexThreshold {
            var built = [String: Int](minimumCapacity: keys.count * 2)
            for (i, k) in keys.enumerated() { built[k] = i }
            index = built
        }
    }

    func position(of key: String) -> Int? {
        if let index { return index[key] }
        return keys.firstIndex(of: key)
    }

    func build() -> JSONObject { JSONObject(uniqueKeys: keys, values: values) }
}
