/// Pending requests ordered by deadline, so that one loop timer (armed for the earliest)
/// serves every request's timeout. A binary min-heap of (deadline, token).
///
/// Entries are not removed when their request is answered: the owner skips, when an entry
/// comes due, tokens it no longer has, and calls ``compact(keeping:)`` when stale entries
/// outnumber live ones. Pure; loop-confined with its client.
struct NATSDeadlineQueue {
    struct Entry: Equatable {
        /// The loop clock's millisecond at which the request times out.
        var deadline: UInt64
        /// The request's inbox token.
        var token: UInt64
    }

    private var heap: [Entry] = []

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    /// The earliest deadline queued.
    var earliest: UInt64? { heap.first?.deadline }

    mutating func insert(deadline: UInt64, token: UInt64) {
        heap.append(Entry(deadline: deadline, token: token))
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    /// Drops every entry whose token `isLive` rejects, and restores the heap.
    mutating func compact(keeping isLive: (UInt64) -> Bool) {
        heap.removeAll { !isLive($0.token) }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    mutating func removeAll() {
        heap.removeAll()
    }

    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        // Equal deadlines go in token order, which is the order the requests were made.
        a.deadline != b.deadline ? a.deadline < b.deadline : a.token < b.token
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, precedes(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard precedes(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
