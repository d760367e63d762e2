internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// An IPv4 or IPv6 address and port.
///
/// Hosts are IP literals (`127.0.0.1`, `::1`, `0.0.0.0`) or `localhost`, which means
/// `127.0.0.1`. This initialiser never consults a resolver, so it may run on the loop thread;
/// names that need one (DNS, `/etc/hosts`) go through `EventLoop.resolve(host:port:timeout:completion:)`,
/// which hands back addresses of this type.
///
/// Any thread.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP literal, as given or as the kernel reported it.
    public let host: String
    /// The port, 0...65535.
    public let port: Int
    /// Whether `host` is an IPv6 literal.
    public let isIPv6: Bool

    /// Parses a host and port.
    /// - Throws: `LoopError` `.invalidArgument` for a port out of range, `.unresolvableHost`
    ///   for a host that is not an IP literal or `localhost` (resolve it first).
    public init(host: String, port: Int) throws(LoopError) {
        let operation = "address \(host):\(port)"
        guard (0...65535).contains(port) else {
            throw LoopError(code: .invalidArgument, name: "EINVAL",
                            message: "port \(port) is outside 0...65535", operation: operation)
        }
        let literal = host == "localhost" ? "127.0.0.1" : host
        var probe4 = sockaddr_in()
        var probe6 = sockaddr_in6()
        if uv_ip4_addr(literal, 0, &probe4) == 0 {
            isIPv6 = false
        } else if uv_ip6_addr(literal, 0, &probe6) == 0 {
            isIPv6 = true
        } else {
            throw LoopError(code: .unresolvableHost, name: "UNRESOLVABLE_HOST",
                            message: "'\(host)' is not an IP address (only IP literals and localhost are accepted here; resolve names first)",
                            operation: operation)
        }
        self.host = literal
        self.port = port
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Calls `body` with this address as a C `sockaddr`.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        if isIPv6 {
            var address = sockaddr_in6()
            _ = uv_ip6_addr(host, Int32(port), &address)
            return withUnsafePointer(to: &address) { body(UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self)) }
        } else {
            var address = sockaddr_in()
            _ = uv_ip4_addr(host, Int32(port), &address)
            return withUnsafePointer(to: &address) { body(UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self)) }
        }
    }

    /// Reads an address the kernel filled in (getsockname / getpeername).
    init?(storage: UnsafePointer<sockaddr_storage>) {
        self.init(sockaddr: UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr.self))
    }

    /// Reads an IPv4 or IPv6 `sockaddr` (from the kernel or from `getaddrinfo`); nil for other
    /// families.
    /// - Parameter port: replaces the address's own port; `getaddrinfo` is asked without a
    ///   service, so the port in its answers is 0.
    init?(sockaddr raw: UnsafePointer<sockaddr>, port overridePort: Int? = nil) {
        var name = [CChar](repeating: 0, count: 64)
        switch Int32(raw.pointee.sa_family) {
        case AF_INET:
            let address = UnsafeRawPointer(raw).assumingMemoryBound(to: sockaddr_in.self)
            guard uv_ip4_name(address, &name, name.count) == 0 else { return nil }
            port = overridePort ?? Int(UInt16(bigEndian: address.pointee.sin_port))
            isIPv6 = false
        case AF_INET6:
            let address = UnsafeRawPointer(raw).assumingMemoryBound(to: sockaddr_in6.self)
            guard uv_ip6_name(address, &name, name.count) == 0 else { return nil }
            port = overridePort ?? Int(UInt16(bigEndian: address.pointee.sin6_port))
            isIPv6 = true
        default:
            return nil
        }
        host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
