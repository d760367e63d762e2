#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A value guarded by a pthread mutex.
///
/// Used instead of `Synchronization.Mutex` for the loop's cross-thread state because
/// ThreadSanitizer intercepts pthread locks but, with this toolchain on Linux, does not see
/// `Mutex`'s synchronization: every `Mutex`-guarded access was reported as a race, which
/// would hide real ones. Uncontended, both cost one atomic operation each way.
///
/// Any thread.
public final class LockedValue<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched between lock and unlock.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    /// Guards `value`.
    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
