/// Objects a store has loaded, with their versions, at most `capacity` of them: when full, the
/// oldest cached entry makes room (a hot object is loaded again at worst once per `capacity`
/// other objects). A `nil` value records an object known not to exist. Guarded by its owner's
/// lock; a value.
struct ObjectCache {
    let capacity: Int
    private var objects: [ObjectIdentity: StoredObject?] = [:]
    private var arrival: [ObjectIdentity] = []
    private var head = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a cache needs room for one object")
        self.capacity = capacity
    }

    /// `.some(nil)` for an object known not to exist; `nil` when not cached.
    func lookup(_ object: ObjectIdentity) -> StoredObject?? {
        objects[object]
    }

    mutating func insert(_ object: ObjectIdentity, _ stored: StoredObject?) {
        if objects.updateValue(stored, forKey: object) == nil { arrival.append(object) }
        while objects.count > capacity, head < arrival.count {
            objects[arrival[head]] = nil
            head += 1
        }
        if head > 4096, head * 2 > arrival.count {
            arrival.removeFirst(head)
            head = 0
        }
    }

    mutating func remove(_ object: ObjectIdentity) {
        objects[object] = nil
    }

    var count: Int { objects.count }
}
