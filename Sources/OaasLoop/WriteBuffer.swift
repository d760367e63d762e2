// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// A growable byte buffer with a stable address while it is not appended to, so a `uv_write`
/// can point into it until its callback runs. Swift arrays give no such guarantee.
///
/// Loop-confined.
final class WriteBuffer {
    @exclusivity(unchecked) private(set) var base: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity = 0

    /// Capacity kept across resets; a burst above it is returned to the allocator so idle
    /// connections do not hold large buffers.
    static let retainedCapacity = 256 * 1024

    var isEmpty: Bool { count == 0 }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(count + bytes.count)
        (base! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    func reset() {
        count = 0
        if capacity > Self.retainedCapacity {
            base?.deallocate()
            base = nil
            capacity = 0
        }
    }

    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var newCapacity = max(capacity, 4096)
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if let base {
            grown.copyMemory(from: base, byteCount: count)
            base.deallocate()
        }
        base = grown
        capacity = newCapacity
    }

    deinit { base?.deallocate() }
}
