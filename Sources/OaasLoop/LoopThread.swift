import Dispatch
internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A plain OS thread for an owned loop. Foundation's `Thread` is avoided so the loop module
/// depends on nothing but libuv and the standard library.
final class LoopThread: @unchecked Sendable {
    // @unchecked: `handle` is written once before the thread is visible to anyone else.
    private var handle = pthread_t()

    static func spawn(name: String, body: @escaping @Sendable () -> Void) throws(LoopError) -> LoopThread {
        let thread = LoopThread()
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body))
        let status = pthread_create(&thread.handle, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            oaas_set_thread_name(body.name)
            body.body()
            return nil
        }, box.toOpaque())
        guard status == 0 else {
            box.release()
            throw LoopError(code: .wrongState, name: "THREAD_CREATE",
                            message: "could not start a thread (errno \(status))",
                            operation: "start loop thread '\(name)'")
        }
        return thread
    }

    /// Blocks until the thread has exited. Call once, from another thread.
    func join() {
        pthread_join(handle, nil)
    }
}

private final class ThreadBody {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// A one-shot gate: `wait()` blocks until some thread calls `open()`.
final class ThreadGate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func open() { semaphore.signal() }
    func wait() { semaphore.wait() }
}
