internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// One name lookup started by `EventLoop.resolve(host:port:timeout:completion:)`, and the
/// Swift owner of its `uv_getaddrinfo_t`.
///
/// Ownership rule: while libuv holds the request, C holds a +1 on this object (through the
/// request's `data` field). libuv's callback runs exactly once, on the loop thread, whether the
/// lookup answered, failed or was cancelled; it releases that +1, frees the request and the
/// answer list (`uv_freeaddrinfo`). So the C memory is freed exactly once even when nobody
/// waits for the answer any more, and the completion never runs into an owner that let go:
/// after `cancel()` it is dropped, not called.
///
/// Loop-confined: every member is for the loop thread only.
public final class HostResolution {
    /// The loop the lookup runs on.
    public let loop: EventLoop
    /// The name being resolved, as given.
    public let host: String
    /// The port every answer carries.
    public let port: Int

    /// Set until the answer has been delivered, or the resolution cancelled or timed out.
    private var completion: ((Result<[SocketAddress], LoopError>) -> Void)?
    /// The C request while libuv holds it; nil before `start` and from its callback on.
    private var request: UnsafeMutablePointer<uv_getaddrinfo_t>?
    private var timer: LoopTimer?

    /// Whether the completion is still to run: false once it has run, or after `cancel()` or
    /// the timeout. A lookup that was no longer pending may still be finishing on the thread
    /// pool; it then ends on its own and calls no one. Loop thread only.
    public var isPending: Bool {
        loop.preconditionInLoop()
        return completion != nil
    }

    /// `resolve host:port`, the `operation` of the errors.
    var operation: String {
        host.contains(":") ? "resolve [\(host)]:\(port)" : "resolve \(host):\(port)"
    }

    init(loop: EventLoop, host: String, port: Int,
         completion: @escaping (Result<[SocketAddress], LoopError>) -> Void) {
        self.loop = loop
        self.host = host
        self.port = port
        self.completion = completion
    }

    /// Gives up on the answer: the completion will not run. Idempotent; nothing happens once
    /// the completion has run.
    ///
    /// A lookup still queued for the thread pool is withdrawn (`uv_cancel`). One that a pool
    /// thread is already running cannot be interrupted (getaddrinfo has no cancellation):
    /// it finishes in the background, keeping the loop alive until then, and its answer is
    /// freed unread.
    /// Loop thread only.
    public func cancel() {
        loop.preconditionInLoop()
        guard completion != nil else { return }
        completion = nil
        stopTimer()
        withdrawRequest()
    }

    /// Submits the lookup to libuv's thread pool. Completes at once if libuv refuses it.
    func start(timeout: Duration?) {
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        oaas_set_req_data(request, Unmanaged.passRetained(self).toOpaque())
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        // One entry per address rather than one per socket type.
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_flags = AI_ADDRCONFIG
        // libuv copies the name and the hints before returning, so neither needs to outlive
        // this call.
        let status = uv_getaddrinfo(loop.uvLoop, request, { request, status, answers in
            let owner = Unmanaged<HostResolution>.fromOpaque(oaas_req_data(request!)!).takeRetainedValue()
            request!.deallocate()
            let addresses = status == 0 ? HostResolution.addresses(in: answers, port: owner.port) : []
            uv_freeaddrinfo(answers)
            owner.lookupEnded(status: status, addresses: addresses)
        }, host, nil, &hints)
        guard status == 0 else {
            Unmanaged<HostResolution>.fromOpaque(oaas_req_data(request)!).release()
            request.deallocate()
            finish(.failure(LoopError(resolver: status, operation: operation)))
            return
        }
        self.request = request
        if let timeout {
            timer = loop.schedule(after: timeout) { [weak self] in self?.timedOut(after: timeout) }
        }
    }

    /// Delivers `result`, once.
    func finish(_ result: Result<[SocketAddress], LoopError>) {
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }

    /// libuv's callback: the request and its answers are already freed.
    private func lookupEnded(status: Int32, addresses: [SocketAddress]) {
        request = nil
        stopTimer()
        if status != 0 {
            finish(.failure(LoopError(resolver: status, operation: operation)))
        } else if addresses.isEmpty {
            // Answers of other families only; for a TCP caller that is no address at all.
            finish(.failure(LoopError(resolver: UV_EAI_NODATA.rawValue, operation: operation)))
        } else {
            finish(.success(addresses))
        }
    }

    private func timedOut(after timeout: Duration) {
        // `schedule` closes its timer once it has fired.
        timer = nil
        withdrawRequest()
        finish(.failure(LoopError(code: .timedOut, name: "ETIMEDOUT",
                                  message: "the resolver gave no answer within \(timeout)", operation: operation)))
    }

    private func stopTimer() {
        timer?.close()
        timer = nil
    }

    /// Asks libuv to drop the lookup if no pool thread has taken it yet. Either way libuv's
    /// callback still runs once (with `EAI_CANCELED` if withdrawn) and frees what it must.
    private func withdrawRequest() {
        guard let request else { return }
        // EBUSY means a pool thread is running the lookup: nothing to do but let it end.
        _ = uv_cancel(oaas_as_req(request))
    }

    /// The IPv4 and IPv6 addresses of a getaddrinfo answer list, in its order, each once.
    private static func addresses(in list: UnsafeMutablePointer<addrinfo>?, port: Int) -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        var seen = Set<SocketAddress>()
        var entry = list
        while let current = entry {
            if let raw = current.pointee.ai_addr, let address = SocketAddress(sockaddr: raw, port: port),
               seen.insert(address).inserted {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
