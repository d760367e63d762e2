/// Objects a store keeps in memory, at most `capacity` of them: when full, the oldest entries
/// that may go make room (the write-behind store keeps objects with writes in flight; they go
/// to the back of the line). A few candidates are looked at per insertion, so a cache full of
/// entries that must stay grows past its capacity instead of pausing. Guarded by its owner's
/// lock; a value.
struct ObjectCache<Value> {
    let capacity: Int
    private var objects: [ObjectIdentity: Value] = [:]
    /// Identities in the order they were cached: the eviction order.
    private var arrival: [ObjectIdentity] = []
    private var head = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a cache needs room for one object")
        self.capacity = capacity
    }

    func lookup(_ object: ObjectIdentity) -> Value? {
        objects[object]
    }

    /// Caches `value` for `object`, then drops old entries for which `canEvict` holds while
    /// the cache is over its capacity. - Returns: how many were dropped.
    @discardableResult
    mutating func insert(_ object: ObjectIdentity, _ value: Value, canEvict: (Value) -> Bool = { _ in true }) -> Int {
        if objects.updateValue(value, forKey: object) == nil { arrival.append(object) }
        var evicted = 0
        var budget = 8
        while objects.count > capacity, budget > 0, head < arrival.count {
            budget -= 1
            let candidate = arrival[head]
            head += 1
            guard let entry = objects[candidate] else { continue }
            if canEvict(entry) {
                objects[candidate] = nil
                evicted += 1
            } else {
                arrival.append(candidate)
            }
        }
        if head > 4096, head * 2 > arrival.count {
            arrival.removeFirst(head)
            head = 0
        }
        return evicted
    }

    mutating func remove(_ object: ObjectIdentity) {
        objects[object] = nil
    }

    var count: Int { objects.count }
}
