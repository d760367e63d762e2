import OaasGRPC
import OaasLoop

/// A gRPC server and a client to it on the same loop: one unary call, a call to an unknown
/// method, and the health check. Loop thread only.
enum GRPCDemo {
    static func run(loop: EventLoop, done: @escaping () -> Void) {
        let server = GRPCServer(loop: loop)
        server.register("/demo.Greeter/Hello", .unary { call, message in
            call.respond(Array("hello, \(String(decoding: message, as: UTF8.self))".utf8))
        })
        server.enableHealthService()
        do {
            try server.start()
        } catch {
            say("gRPC server could not start: \(error)")
            return done()
        }
        say("gRPC server listening on 127.0.0.1:\(server.port)")
        let client: GRPCClient
        do {
            client = try GRPCClient(loop: loop, host: "127.0.0.1", port: server.port)
        } catch {
            say("gRPC client: \(error)")
            return server.shutdown(completion: done)
        }
        client.unary("/demo.Greeter/Hello", request: Array("OaaS".utf8), timeout: .seconds(2)) { response in
            say("gRPC /demo.Greeter/Hello -> \(response.status.code): \(String(decoding: response.message ?? [], as: UTF8.self))")
            client.unary("/demo.Greeter/Nope", request: []) { response in
                say("gRPC /demo.Greeter/Nope  -> \(response.status)")
                client.close {
                    server.shutdown {
                        let stats = server.stats
                        say("gRPC server drained: \(stats.count(of: .ok)) OK, \(stats.count(of: .unimplemented)) UNIMPLEMENTED")
                        done()
                    }
                }
            }
        }
    }
}
