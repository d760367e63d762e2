@testable import OaasBus
import Testing

@Suite("NATS server INFO")
struct NATSServerInfoTests {
    @Test("a full INFO as a 2.10 server sends it; fields we do not use are ignored")
    func full() throws {
        let json = #"""
        {"server_id":"NDJWE4SOUJOJT2TY5Y2YQEOAHGAK5VIGXTGKWJSFHVCII4ITI3LBHBUV","server_name":"n1","version":"2.10.7",
         "proto":1,"git_commit":"fa8464d","go":"go1.21.5","host":"0.0.0.0","port":4222,"headers":true,
         "auth_required":true,"tls_required":false,"max_payload":8388608,"jetstream":true,"client_id":5,
         "client_ip":"127.0.0.1","nonce":"abc_-","cluster":"c","connect_urls":["10.0.0.1:4222","[::1]:4223"],
         "ldm":true,"xkey":"X","nested":{"a":[1,2,{"b":null}]}}
        """#
        let info = try NATSServerInfo(json: Array(json.utf8))
        #expect(info == NATSServerInfo(
            serverID: "NDJWE4SOUJOJT2TY5Y2YQEOAHGAK5VIGXTGKWJSFHVCII4ITI3LBHBUV", serverName: "n1", version: "2.10.7",
            proto: 1, headers: true, maxPayload: 8_388_608, authRequired: true, tlsRequired: false,
            connectURLs: ["10.0.0.1:4222", "[::1]:4223"], nonce: "abc_-", clientID: 5, lameDuckMode: true))
    }

    @Test("missing fields take the protocol's defaults: max_payload 1 MiB, no headers")
    func defaults() throws {
        let info = try NATSServerInfo(json: Array("{}".utf8))
        #expect(info.maxPayload == 1 << 20)
        #expect(info.serverID == "")
        #expect(!info.headers && !info.authRequired && !info.tlsRequired && !info.lameDuckMode)
        #expect(info.proto == 0 && info.connectURLs.isEmpty && info.nonce == nil && info.clientID == nil)
    }

    @Test("INFO that is not a usable description is refused", arguments: [
        ("", "not valid JSON"),
        ("not json", "not valid JSON"),
        ("{\"server_id\":", "not valid JSON"),
        ("[1,2]", "wrong type"),
        ("\"text\"", "wrong type"),
        ("{\"max_payload\":\"big\"}", "max_payload has the wrong type"),
        ("{\"headers\":1}", "headers"),
        ("{\"connect_urls\":[1]}", "connect_urls"),
        ("{\"max_payload\":0}", "max_payload of 0"),
        ("{\"max_payload\":-1}", "max_payload of -1"),
        ("{\"client_id\":-3}", "negative client_id -3"),
        ("{\"client_id\":1.5}", "not a valid server description"),
    ])
    func invalid(json: String, reason: String) {
        let error = #expect(throws: NATSProtocolError.self) { try NATSServerInfo(json: Array(json.utf8)) }
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("INFO through the parser")
    func throughParser() throws {
        var parser = NATSParser()
        var ops: [NATSServerOp] = []
        let line = "INFO {\"server_id\":\"x\",\"max_payload\":1024,\"headers\":true,\"proto\":1}\r\n"
        try Array(line.utf8).withUnsafeBytes { raw in try parser.parse(raw) { ops.append($0) } }
        #expect(ops == [.info(NATSServerInfo(serverID: "x", proto: 1, headers: true, maxPayload: 1024))])
    }
}
