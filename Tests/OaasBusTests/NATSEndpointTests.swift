@testable import OaasBus
import Testing

@Suite("NATS URLs")
struct NATSEndpointTests {
    @Test("one server, default port, explicit port, trailing slash, scheme in any case")
    func single() throws {
        #expect(try NATSEndpoint.parseList("nats://localhost") == [NATSEndpoint(host: "localhost", port: 4222)])
        #expect(try NATSEndpoint.parseList("nats://10.0.0.5:4333") == [NATSEndpoint(host: "10.0.0.5", port: 4333)])
        #expect(try NATSEndpoint.parseList("NATS://nats.svc.cluster.local:1/") == [NATSEndpoint(host: "nats.svc.cluster.local", port: 1)])
        #expect(try NATSEndpoint.parseList("  my_host:65535  ") == [NATSEndpoint(host: "my_host", port: 65535)])
    }

    @Test("IPv6 in brackets, with and without a port")
    func ipv6() throws {
        #expect(try NATSEndpoint.parseList("nats://[::1]:4223,[fe80::1%eth0],[::ffff:10.0.0.1]") == [
            NATSEndpoint(host: "::1", port: 4223),
            NATSEndpoint(host: "fe80::1%eth0", port: 4222),
            NATSEndpoint(host: "::ffff:10.0.0.1", port: 4222),
        ])
        #expect(NATSEndpoint(host: "::1", port: 4223).description == "[::1]:4223")
        #expect(NATSEndpoint(host: "a", port: 1, password: "secret").description == "a:1")
    }

    @Test("several servers, scheme optional after the first, blanks around entries")
    func list() throws {
        let endpoints = try NATSEndpoint.parseList("nats://a:4222, b:4223 ,nats://c")
        #expect(endpoints == [NATSEndpoint(host: "a"), NATSEndpoint(host: "b", port: 4223), NATSEndpoint(host: "c")])
    }

    @Test("user and password, or token, percent-decoded")
    func credentials() throws {
        #expect(try NATSEndpoint.parseList("nats://alice:s%40cr%3At:x@h") == [
            NATSEndpoint(host: "h", user: "alice", password: "s@cr:t:x"),
        ])
        #expect(try NATSEndpoint.parseList("nats://t%C3%BCken@h:5") == [NATSEndpoint(host: "h", port: 5, token: "tüken")])
        #expect(try NATSEndpoint.parseList("nats://bob:@h") == [NATSEndpoint(host: "h", user: "bob", password: "")])
        // The last @ separates the host, so an unescaped @ in a password still works.
        #expect(try NATSEndpoint.parseList("nats://u:p@ss@h") == [NATSEndpoint(host: "h", user: "u", password: "p@ss")])
    }

    @Test("credentials of the first URL apply to later ones that have none")
    func inheritedCredentials() throws {
        let endpoints = try NATSEndpoint.parseList("nats://u:p@a,b,nats://tok@c,d")
        #expect(endpoints == [
            NATSEndpoint(host: "a", user: "u", password: "p"),
            NATSEndpoint(host: "b", user: "u", password: "p"),
            NATSEndpoint(host: "c", token: "tok"),
            NATSEndpoint(host: "d", user: "u", password: "p"),
        ])
        #expect(try NATSEndpoint.parseList("a,nats://u:p@b") == [NATSEndpoint(host: "a"), NATSEndpoint(host: "b", user: "u", password: "p")])
    }

    @Test("unusable URLs are refused with a reason", arguments: [
        ("", "no server URL"),
        ("   ", "no server URL"),
        ("nats://a,,b", "empty entry"),
        ("nats://a,", "empty entry"),
        ("tls://secure:4443", "TLS is not supported yet"),
        ("TLS://secure", "TLS is not supported yet"),
        ("ws://h", "WebSocket"),
        ("http://h:4222", "unsupported scheme \"http\""),
        ("nats://a,http://b", "unsupported scheme"),
        ("://h", "missing scheme"),
        ("nats://", "empty host"),
        ("nats://:4222", "empty host"),
        ("nats://u:p@", "empty host"),
        ("nats://h:", "invalid port"),
        ("nats://h:0", "invalid port"),
        ("nats://h:65536", "invalid port"),
        ("nats://h:-1", "invalid port"),
        ("nats://h:42a", "invalid port"),
        ("nats://h:000004222", "invalid port"),
        ("nats://h/path", "no path"),
        ("nats://h?x=1", "no query"),
        ("nats://h#frag", "no query"),
        ("nats://::1:4222", "brackets"),
        ("nats://[::1", "closing ]"),
        ("nats://[::1]x", "after ]"),
        ("nats://[]:4222", "invalid IPv6"),
        ("nats://[host]:4222", "invalid IPv6"),
        ("nats://ho st", "invalid host name"),
        ("nats://hö.st", "invalid host name"),
        ("nats://:p@h", "empty user"),
        ("nats://@h", "empty token"),
        ("nats://u:%zz@h", "percent escape"),
        ("nats://u:%4@h", "percent escape"),
        ("nats://u:%FF@h", "UTF-8"),
    ])
    func invalid(url: String, reason: String) {
        let error = #expect(throws: NATSURLError.self) { try NATSEndpoint.parseList(url) }
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("errors mask passwords and tokens")
    func masking() {
        #expect(throws: NATSURLError(url: "tls://user:***@h", reason: "TLS is not supported yet; use nats://")) {
            try NATSEndpoint.parseList("tls://user:hunter2@h")
        }
        #expect(throws: NATSURLError(url: "nats://***@h:x", reason: "invalid port \"x\" (1 to 65535)")) {
            try NATSEndpoint.parseList("nats://s3cret@h:x")
        }
        do {
            _ = try NATSEndpoint.parseList("nats://u:hunter2@a,,b")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.url == "nats://u:***@a,,b")
        }
    }

    @Test("the public check for the config layer")
    func publicValidate() throws {
        try NATSURL.validate("nats://127.0.0.1:4222")
        #expect(throws: NATSURLError.self) { try NATSURL.validate("tls://h") }
        let error = NATSURLError(url: "x", reason: "y")
        #expect(error.description == "invalid bus URL \"x\": y")
    }

    @Test("announced cluster URLs")
    func announced() {
        #expect(NATSEndpoint.parseAnnounced("127.0.0.1:4223") == NATSEndpoint(host: "127.0.0.1", port: 4223))
        #expect(NATSEndpoint.parseAnnounced("[::1]:4223") == NATSEndpoint(host: "::1", port: 4223))
        #expect(NATSEndpoint.parseAnnounced("n2.example") == NATSEndpoint(host: "n2.example", port: 4222))
        for junk in ["", "a b:1", "h:0", "h:x", "u:p@h:1", "nats://h:1", "::1:4222", "[::1"] {
            #expect(NATSEndpoint.parseAnnounced(junk) == nil, "\(junk)")
        }
    }
}
