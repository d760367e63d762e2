import Foundation
import OaasLoop

/// A name from this machine's `/etc/hosts` other than `localhost`, with the IPv4 address it
/// maps to; nil when the file has none.
///
/// Tests use it to exercise real name resolution (`getaddrinfo` on libuv's thread pool)
/// with a known answer and no name server: `localhost` itself never reaches the resolver
/// (the loop answers it at once), and a DNS name's answer is neither known nor reachable
/// offline.
/// Any thread.
public func hostsFileName() -> (name: String, address: String)? {
    guard let text = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") {
        let fields = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2, (try? SocketAddress(host: String(fields[0]), port: 0))?.isIPv6 == false else { continue }
        if let name = fields.dropFirst().first(where: { !$0.hasPrefix("localhost") }) {
            return (String(name), String(fields[0]))
        }
    }
    return nil
}
