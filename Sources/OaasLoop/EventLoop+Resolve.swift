internal import CLibUV

extension EventLoop {
    /// Finds the addresses of `host` without blocking the loop.
    ///
    /// IP literals and `localhost` (which means `127.0.0.1`, as in `SocketAddress`) answer at
    /// once, before this call returns, without the resolver. Any other name is looked up with
    /// the system resolver (`getaddrinfo`: `/etc/hosts`, then DNS, as `nsswitch.conf` says) on
    /// libuv's thread pool, and `completion` runs on the loop thread when it answers.
    ///
    /// The answer keeps the resolver's order (RFC 6724 destination selection, tuned by
    /// `/etc/gai.conf`) with repeats removed, so callers that try the addresses in turn follow
    /// the system's preference. Families with no configured non-loopback address on this
    /// machine are left out (`AI_ADDRCONFIG`), so a host without IPv6 is not handed IPv6
    /// addresses it cannot reach.
    ///
    /// A lookup in progress keeps the loop alive: a graceful shutdown waits for it, and
    /// libuv's pool has few threads (4 by default, at most half of them for lookups), so a
    /// name server that does not answer holds them until the resolver's own timeout. Give a
    /// `timeout`, and `cancel()` the returned resolution when its owner goes away.
    ///
    /// - Parameters:
    ///   - host: a name, or an IP literal (IPv6 without brackets, optionally with a `%zone`).
    ///   - port: 0...65535, copied into every address.
    ///   - timeout: how long to wait for the resolver; then `completion` gets `.timedOut` and
    ///     the lookup is abandoned. `nil` waits as long as the resolver takes.
    ///   - completion: runs once on the loop thread, unless the resolution is cancelled first,
    ///     with at least one address or the error: `.hostNotFound` for a name that has no
    ///     address, `.nameServerUnavailable` when no name server answered, `.timedOut`,
    ///     `.invalidArgument` for an empty or malformed host or a port out of range (at once).
    /// - Returns: the resolution, to `cancel()` if its answer is no longer wanted.
    /// Loop thread only.
    @discardableResult
    public func resolve(
        host: String, port: Int, timeout: Duration? = nil,
        completion: @escaping (Result<[SocketAddress], LoopError>) -> Void
    ) -> HostResolution {
        preconditionInLoop()
        let resolution = HostResolution(loop: self, host: host, port: port, completion: completion)
        if let problem = Self.problem(host: host, port: port) {
            resolution.finish(.failure(LoopError(code: .invalidArgument, name: "EINVAL", message: problem,
                                                 operation: resolution.operation)))
        } else if let literal = try? SocketAddress(host: host, port: port) {
            // No thread-pool round trip for what needs no resolver; the pool is small and shared.
            resolution.finish(.success([literal]))
        } else {
            resolution.start(timeout: timeout)
        }
        return resolution
    }

    /// What makes `host` or `port` unusable before any lookup, or nil.
    private static func problem(host: String, port: Int) -> String? {
        guard (0...65535).contains(port) else { return "port \(port) is outside 0...65535" }
        guard !host.isEmpty else { return "the host name is empty" }
        // A C string ends at the first NUL: "good\0evil" would otherwise resolve "good".
        // Spaces and control bytes are in no host name, and would reach the name server as is.
        guard !host.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            return "the host name contains spaces or control characters"
        }
        // DNS names are at most 253 characters (255 bytes on the wire); IDNA may lengthen a
        // non-ASCII name, which libuv then refuses with EINVAL.
        guard host.utf8.count <= 254 else { return "the host name is longer than 253 characters" }
        return nil
    }
}
