internal import CLibUV

/// The context of one `uv_work_t`: the work, its result, and the completion on the loop.
private final class BlockingWork<T: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written by the pool thread before libuv hands the request back to
    // the loop thread (libuv orders the two), and read only after that.
    let work: @Sendable () throws -> T
    let completion: (Result<T, any Error>) -> Void
    var result: Result<T, any Error>?

    init(work: @escaping @Sendable () throws -> T, completion: @escaping (Result<T, any Error>) -> Void) {
        self.work = work
        self.completion = completion
    }
}

/// Type-erased entry points, since C callbacks cannot be generic.
private protocol BlockingWorkItem: AnyObject {
    func runOnPool()
    func complete(cancelled: Bool)
}

extension BlockingWork: BlockingWorkItem {
    func runOnPool() { result = Result { try work() } }
    func complete(cancelled: Bool) {
        completion(result ?? .failure(LoopError(uv: UV_ECANCELED.rawValue, operation: "blocking work")))
    }
}

extension EventLoop {
    /// Runs `work` on libuv's thread pool and `completion` back on the loop thread.
    ///
    /// Use it for user code that blocks (file I/O, CPU-heavy work) so the loop keeps serving.
    /// The pending work keeps the loop alive, so a graceful shutdown waits for it.
    /// Loop thread only.
    public func runBlocking<T: Sendable>(
        _ work: @escaping @Sendable () throws -> T,
        completion: @escaping (Result<T, any Error>) -> Void
    ) {
        preconditionInLoop()
        let item: any BlockingWorkItem = BlockingWork(work: work, completion: completion)
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        oaas_set_req_data(request, Unmanaged.passRetained(item as AnyObject).toOpaque())
        let status = uv_queue_work(uvLoop, request, { request in
            let item = Unmanaged<AnyObject>.fromOpaque(oaas_req_data(request!)!).takeUnretainedValue()
            (item as! any BlockingWorkItem).runOnPool()
        }, { request, status in
            let item = Unmanaged<AnyObject>.fromOpaque(oaas_req_data(request!)!).takeRetainedValue()
            request!.deallocate()
            (item as! any BlockingWorkItem).complete(cancelled: status == UV_ECANCELED.rawValue)
        })
        if status < 0 {
            Unmanaged<AnyObject>.fromOpaque(oaas_req_data(request)!).release()
            request.deallocate()
            completion(.failure(LoopError(uv: status, operation: "uv_queue_work")))
        }
    }

    /// Runs `work` on libuv's thread pool and returns its result.
    ///
    /// - Throws: whatever `work` throws, or `.loopShutDown` if the loop takes no more work.
    /// Any thread or task.
    public func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await resumeFromLoop { [self] complete in runBlocking(work, completion: complete) }
    }
}
