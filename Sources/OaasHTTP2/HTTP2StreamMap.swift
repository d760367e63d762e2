/// A map from HTTP/2 stream id to a value, for the per-request hot path.
///
/// Stream ids of one peer are odd (or even) and rise by two, so `id >> 1` spreads them evenly:
/// an open-addressing table indexed by it almost never collides, and costs no hashing at all,
/// where a `Dictionary` runs SipHash on every lookup (several per request).
///
/// Loop-confined value.
public struct HTTP2StreamMap<Value> {
    private var keys: [Int32]
    private var values: [Value?]
    private var mask: Int
    public private(set) var count = 0

    private static var empty: Int32 { 0 }  // stream 0 is the connection, never a request

    public init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = [Int32](repeating: Self.empty, count: size)
        values = [Value?](repeating: nil, count: size)
        mask = size - 1
    }

    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ key: Int32) -> Int { Int(key >> 1) & mask }

    public subscript(key: Int32) -> Value? {
        get {
            var slot = home(key)
            while true {
                let found = keys[slot]
                if found == key { return values[slot] }
                if found == Self.empty { return nil }
                slot = (slot + 1) & mask
            }
        }
        set {
            if let newValue { insert(key, newValue) } else { _ = removeValue(forKey: key) }
        }
    }

    private mutating func insert(_ key: Int32, _ value: Value) {
        precondition(key != Self.empty, "stream 0 cannot be a map key")
        if (count + 1) * 2 > keys.count { grow() }
        var slot = home(key)
        while true {
            let found = keys[slot]
            if found == key {
                values[slot] = value
                return
            }
            if found == Self.empty {
                keys[slot] = key
                values[slot] = value
                count += 1
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// Removes and returns the value for `key`; later entries of its probe run shift back so
    /// lookups never need tombstones.
    @discardableResult
    public mutating func removeValue(forKey key: Int32) -> Value? {
        var slot = home(key)
        while keys[slot] != key {
            if keys[slot] == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
        let removed = values[slot]
        keys[slot] = Self.empty
        values[slot] = nil
        count -= 1
        var next = (slot + 1) & mask
        while keys[next] != Self.empty {
            let ideal = home(keys[next])
            // Move the entry back if the emptied slot lies on its probe path.
            let distanceToHole = (slot - ideal) & mask
            let distanceToNext = (next - ideal) & mask
            if distanceToHole < distanceToNext {
                keys[slot] = keys[next]
                values[slot] = values[next]
                keys[next] = Self.empty
                values[next] = nil
                slot = next
            }
            next = (next + 1) & mask
        }
        return removed
    }

    /// Every value, in no particular order.
    public var allValues: [Value] {
        var result: [Value] = []
        result.reserveCapacity(count)
        for value in values { if let value { result.append(value) } }
        return result
    }

    /// Removes everything, keeping the table's size.
    public mutating func removeAll() {
        guard count > 0 else { return }
        for index in keys.indices {
            keys[index] = Self.empty
            values[index] = nil
        }
        count = 0
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let size = keys.count * 2
        keys = [Int32](repeating: Self.empty, count: size)
        values = [Value?](repeating: nil, count: size)
        mask = size - 1
        count = 0
        for index in oldKeys.indices where oldKeys[index] != Self.empty {
            insert(oldKeys[index], oldValues[index]!)
        }
    }
}
