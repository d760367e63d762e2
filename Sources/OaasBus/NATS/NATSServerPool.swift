/// The servers a ``NATSClient`` may connect to: the configured ones, in their order, then those
/// the servers announced in INFO `connect_urls`, each address once. Pure; loop-confined with
/// its client.
struct NATSServerPool {
    /// Every known server, configured first.
    private(set) var endpoints: [NATSEndpoint]
    /// Credentials for announced servers, which come without any: those of the first
    /// configured server that has some (after the configuration's overrides).
    private let announcedCredentials: (user: String?, password: String?, token: String?)
    private var known: Set<String>

    /// A pool of `configured` (already carrying the configuration's credential overrides).
    init(configured: [NATSEndpoint]) {
        endpoints = []
        known = []
        let withCredentials = configured.first { $0.token != nil || $0.user != nil }
        announcedCredentials = (withCredentials?.user, withCredentials?.password, withCredentials?.token)
        for endpoint in configured where known.insert(Self.identity(endpoint)).inserted {
            endpoints.append(endpoint)
        }
    }

    /// The address that makes two endpoints the same server: `localhost` is 127.0.0.1 (as the
    /// loop resolves it). Other names are compared as written, not by what they resolve to,
    /// which may change between attempts.
    static func identity(_ endpoint: NATSEndpoint) -> String {
        let host = endpoint.host == "localhost" ? "127.0.0.1" : endpoint.host
        return host.contains(":") ? "[\(host)]:\(endpoint.port)" : "\(host):\(endpoint.port)"
    }

    /// Adds the servers of an INFO's `connect_urls` not known yet. Entries that do not parse
    /// are skipped; names are kept and resolved when dialled, like configured ones.
    /// - Returns: how many were added.
    @discardableResult
    mutating func addAnnounced(_ urls: [String]) -> Int {
        var added = 0
        for text in urls {
            guard var endpoint = NATSEndpoint.parseAnnounced(text) else { continue }
            guard known.insert(Self.identity(endpoint)).inserted else { continue }
            endpoint.user = announcedCredentials.user
            endpoint.password = announcedCredentials.password
            endpoint.token = announcedCredentials.token
            endpoints.append(endpoint)
            added += 1
        }
        return added
    }

    /// Whether the pool knows a server other than `endpoint`.
    func hasAlternative(to endpoint: NATSEndpoint) -> Bool {
        let identity = Self.identity(endpoint)
        return endpoints.contains { Self.identity($0) != identity }
    }

    /// The order for one round of attempts: every server, starting after `current` so that
    /// the one just lost (or leaving, in lame-duck mode) is tried last; the pool's own order
    /// when there is no current server.
    func round(after current: NATSEndpoint?) -> [NATSEndpoint] {
        guard let current, let index = endpoints.firstIndex(where: { Self.identity($0) == Self.identity(current) }) else {
            return endpoints
        }
        return Array(endpoints[(index + 1)...] + endpoints[...index])
    }
}
