import OaasGRPC
import OaasLoop
import OaasTesting
import Testing

/// The client's host: IP literals, `localhost`, names looked up when a connection opens, and
/// names that do not resolve.
@Suite("gRPC client: host names")
struct GRPCClientHostTests {
    /// One echo call from a client for `host` to a server listening on 127.0.0.1.
    private func echo(through host: String) async throws -> GRPCClientResponse {
        let outcome = LockedValue<GRPCClientResponse?>(nil)
        try await withOwnedLoop { loop in
            let response: GRPCClientResponse = try await onLoop(loop) { finish in
                let server = GRPCServer(loop: loop)
                server.register("/t.S/M", .unary { call, message in call.respond(message) })
                try server.start()
                let client = try GRPCClient(loop: loop, host: host, port: server.port)
                client.connectTimeout = .seconds(3)
                client.unary("/t.S/M", request: [7]) { response in
                    client.close()
                    server.shutdown { finish(response) }
                }
            }
            outcome.withLock { $0 = response }
        }
        return try #require(outcome.withLock { $0 })
    }

    @Test("localhost and a name from /etc/hosts reach the server", .timeLimit(.minutes(1)),
          .enabled(if: hostsFileName()?.address == "127.0.0.1", "needs a name for 127.0.0.1 in /etc/hosts"))
    func names() async throws {
        let name = try #require(hostsFileName()).name
        for host in ["localhost", name] {
            let response = try await echo(through: host)
            #expect(response.status.code == .ok, "\(host): \(response.status)")
            #expect(response.message == [7])
        }
    }

    @Test("a name that does not resolve fails the call with UNAVAILABLE naming it", .timeLimit(.minutes(1)))
    func unresolvable() async throws {
        let response = try await echo(through: "nonexistent.invalid")
        #expect(response.status.code == .unavailable)
        #expect(response.status.message.contains("nonexistent.invalid"), "\(response.status)")
    }

    @Test("an empty host or a port out of range is refused when the client is made", arguments: [("", 80), ("localhost", 0), ("localhost", 70_000)])
    func invalid(host: String, port: Int) async throws {
        try await withOwnedLoop { loop in
            let refused = try await loop.submit { () -> Bool in
                do {
                    _ = try GRPCClient(loop: loop, host: host, port: port)
                    return false
                } catch {
                    return (error as? LoopError)?.code == .invalidArgument
                }
            }
            #expect(refused)
        }
    }
}
