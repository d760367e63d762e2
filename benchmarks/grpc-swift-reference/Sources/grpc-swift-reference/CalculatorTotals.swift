import Synchronization

/// `math.Calculator`'s state: each object's running total, which `add` increases.
///
/// Guarded by one `Mutex` rather than kept in an actor: the critical section is a hash lookup
/// and an addition, never a suspension, so a lock costs a few uncontended atomic operations
/// while an actor would cost every call an extra job hop (and, with handlers on the concurrency
/// pool, possibly a thread switch). Reading and storing the total under the same lock makes each
/// `add` see the result of the one before it on the same object.
final class CalculatorTotals: Sendable {
    static let classID = "math.Calculator"

    /// An object of the class; the class is fixed, so partition and id name it.
    struct ObjectKey: Hashable, Sendable {
        let partition: UInt32
        let object: String
    }

    private let totals = Mutex<[ObjectKey: Double]>([:])

    /// Adds `value` to the object's total (0 for an object not seen yet) and returns the new total.
    func add(_ value: Double, to key: ObjectKey) -> Double {
        totals.withLock { totals in
            // Through the index, so a known object costs one hash lookup, not one per access.
            if let index = totals.index(forKey: key) {
                totals.values[index] += value
                return totals.values[index]
            }
            totals[key] = value
            return value
        }
    }
}
