/// One NATS server address from a bus URL, with the credentials to present to it.
///
/// A plain value; any thread.
struct NATSEndpoint: Equatable, Hashable, CustomStringConvertible {
    /// A host name or IP address; IPv6 without its brackets.
    var host: String
    var port: Int
    var user: String?
    var password: String?
    var token: String?

    static let defaultPort = 4222

    init(host: String, port: Int = NATSEndpoint.defaultPort, user: String? = nil, password: String? = nil,
         token: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.token = token
    }

    /// `host:port` (`[::1]:4222` for IPv6), never the credentials: it goes into logs.
    var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses a bus URL list: `nats://[user:pass@|token@]host[:port]`, several separated by
    /// commas, the scheme optional. The port defaults to 4222; IPv6 hosts are written in
    /// brackets (`[::1]:4222`); user, password and token are percent-decoded. Credentials on
    /// the first URL apply to every later one that has none of its own, so a cluster can be
    /// listed as `nats://user:pass@a,b,c`.
    /// - Throws: ``NATSURLError`` for an empty list or entry, another scheme (`tls://` is not
    ///   supported yet), a bad port, an empty or invalid host, a path, query or fragment, a
    ///   bad percent escape. Its `url` shows the entry with the secrets masked.
    static func parseList(_ text: String) throws(NATSURLError) -> [NATSEndpoint] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
        if entries.count == 1, entries[0].isEmpty {
            throw NATSURLError(url: text, reason: "no server URL given")
        }
        var endpoints: [NATSEndpoint] = []
        for entry in entries {
            guard !entry.isEmpty else {
                throw NATSURLError(url: entries.map(masked).joined(separator: ","), reason: "the list has an empty entry")
            }
            endpoints.append(try parseEntry(entry))
        }
        let first = endpoints[0]
        for index in endpoints.indices.dropFirst() where !endpoints[index].hasCredentials {
            endpoints[index].user = first.user
            endpoints[index].password = first.password
            endpoints[index].token = first.token
        }
        return endpoints
    }

    /// Parses a server address a cluster announces in `INFO`'s `connect_urls`: `host:port` or
    /// `[v6]:port`, no scheme and no credentials. Nil for anything else: an announcement we
    /// cannot read is skipped, not fatal.
    static func parseAnnounced(_ text: String) -> NATSEndpoint? {
        let address = trimmed(Substring(text))
        guard !address.isEmpty, !address.contains("@"), !address.contains("/") else { return nil }
        return try? hostAndPort(address, entry: String(address))
    }

    private var hasCredentials: Bool { user != nil || password != nil || token != nil }

    // MARK: One entry

    private static func parseEntry(_ entry: Substring) throws(NATSURLError) -> NATSEndpoint {
        let shown = masked(entry)
        var rest = entry
        if let separator = entry.firstRange(of: "://") {
            let scheme = entry[..<separator.lowerBound].lowercased()
            switch scheme {
            case "nats": break
            case "tls": throw NATSURLError(url: shown, reason: "TLS is not supported yet; use nats://")
            case "ws", "wss": throw NATSURLError(url: shown, reason: "WebSocket connections are not supported; use nats://")
            case "": throw NATSURLError(url: shown, reason: "missing scheme before ://")
            default: throw NATSURLError(url: shown, reason: "unsupported scheme \"\(scheme)\"; use nats://")
            }
            rest = entry[separator.upperBound...]
        }
        if rest.contains("?") || rest.contains("#") {
            throw NATSURLError(url: shown, reason: "a bus URL has no query or fragment")
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            guard rest[slash...] == "/" else {
                throw NATSURLError(url: shown, reason: "a bus URL has no path")
            }
        }

        var endpoint: NATSEndpoint
        if let at = authority.lastIndex(of: "@") {
            endpoint = try hostAndPort(authority[authority.index(after: at)...], entry: shown)
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try percentDecoded(userInfo[..<colon], entry: shown)
                guard !user.isEmpty else { throw NATSURLError(url: shown, reason: "empty user name") }
                endpoint.user = user
                endpoint.password = try percentDecoded(userInfo[userInfo.index(after: colon)...], entry: shown)
            } else {
                let token = try percentDecoded(userInfo, entry: shown)
                guard !token.isEmpty else { throw NATSURLError(url: shown, reason: "empty token before @") }
                endpoint.token = token
            }
        } else {
            endpoint = try hostAndPort(authority, entry: shown)
        }
        return endpoint
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    private static func hostAndPort(_ text: Substring, entry: String) throws(NATSURLError) -> NATSEndpoint {
        let host: Substring
        var portText: Substring?
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else {
                throw NATSURLError(url: entry, reason: "IPv6 address without its closing ]")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw NATSURLError(url: entry, reason: "unexpected text after ]") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.utf8.allSatisfy(isIPv6Byte) else {
                throw NATSURLError(url: entry, reason: "invalid IPv6 address \"\(host)\"")
            }
        } else {
            let colons = text.utf8.count(where: { $0 == UInt8(ascii: ":") })
            guard colons <= 1 else {
                throw NATSURLError(url: entry, reason: "an IPv6 address must be written in brackets, like [::1]:4222")
            }
            if let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                host = text
            }
            guard !host.isEmpty else { throw NATSURLError(url: entry, reason: "empty host") }
            guard host.utf8.allSatisfy(isHostNameByte) else {
                throw NATSURLError(url: entry, reason: "invalid host name \"\(host)\"")
            }
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let number = Int(portText), (1...65_535).contains(number) else {
                throw NATSURLError(url: entry, reason: "invalid port \"\(portText)\" (1 to 65535)")
            }
            port = number
        }
        return NATSEndpoint(host: String(host), port: port)
    }

    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// Hex digits, colons, an embedded IPv4's dots, and a `%zone` suffix's characters.
    private static func isIPv6Byte(_ byte: UInt8) -> Bool {
        isHostNameByte(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%")
    }

    /// `%XX` escapes to bytes, which must then form UTF-8.
    private static func percentDecoded(_ text: Substring, entry: String) throws(NATSURLError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw NATSURLError(url: entry, reason: "invalid percent escape in the credentials")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw NATSURLError(url: entry, reason: "the credentials are not valid UTF-8 once decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return text[first...last]
    }

    /// The entry as an error may show it: the password or token replaced by `***`, since
    /// error texts end up in logs.
    private static func masked(_ entry: Substring) -> String {
        let authorityStart = entry.firstRange(of: "://")?.upperBound ?? entry.startIndex
        let authorityEnd = entry[authorityStart...].firstIndex(of: "/") ?? entry.endIndex
        guard let at = entry[authorityStart..<authorityEnd].lastIndex(of: "@") else { return String(entry) }
        let userInfo = entry[authorityStart..<at]
        let visible = userInfo.firstIndex(of: ":").map { "\(userInfo[..<$0]):***" } ?? "***"
        return String(entry[..<authorityStart]) + visible + String(entry[at...])
    }
}

/// A bus URL (`OPRC_BUS_URL`) that cannot be used, with the reason. Any thread.
public struct NATSURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offending URL or list entry, with passwords and tokens masked.
    public let url: String
    /// What is wrong with it, phrased for a person.
    public let reason: String

    public init(url: String, reason: String) {
        self.url = url
        self.reason = reason
    }

    public var description: String { "invalid bus URL \"\(url)\": \(reason)" }
}

/// Checks bus URLs for modules that cannot see the NATS client's types (the runtime's
/// configuration). Any thread.
public enum NATSURL {
    /// Checks that `text` is a usable bus URL list (see the NATS client's URL rules:
    /// `nats://[user:pass@|token@]host[:port]`, comma-separated).
    /// - Throws: ``NATSURLError`` saying what is wrong.
    public static func validate(_ text: String) throws(NATSURLError) {
        _ = try NATSEndpoint.parseList(text)
    }
}
