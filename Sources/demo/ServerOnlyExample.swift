import Foundation
import OaaS
import OaasProto

/// The design's server-only example, end to end: configure, start the server, call the
/// Calculator through the built-in gRPC client, show `serverInfo`, stop.
enum ServerOnlyExample {
    static func run() async throws {
        oaas.configure(try OaasConfig(serverHost: "127.0.0.1"))
        try registerDemoServices()
        // Port 0 picks a free port, so the demo never collides with something on 8080.
        try oaas.startServer(port: 0)
        // In mock mode (MOCK_MODE=1) nothing listens: the calls run in-process instead.
        let port = oaas.serverInfo.port
        say("Server running: \(oaas.isServerRunning) \(port.map { "on port \($0)" } ?? "in mock mode (in-process calls)")")
        say("Services: \(oaas.registeredServices.joined(separator: ", "))")

        let client = try port.map { try OaasClient(port: $0) }
        let calls: [(String, String, String, String)] = [
            ("math.Calculator", "7", "add", "5"),
            ("math.Calculator", "7", "add", "2.5"),
            ("math.Calculator", "8", "add", "1"),
            ("math.Calculator", "7", "complex_calculation", "[1, 2, 3]"),
            ("hybrid.HybridService", "456", "quick_info", ""),
            ("hybrid.HybridService", "456", "heavy_work", "[\"a\", \"b\", \"c\"]"),
            ("worker.BackgroundProcessor", "123", "process_data", "{\"job\": 42}"),
            ("math.Calculator", "7", "add", "\"five\""),
            ("math.Calculator", "7", "subtract", "1"),
            ("math.Nope", "7", "add", "1"),
        ]
        for (classID, object, function, payload) in calls {
            let bytes = Array(payload.utf8)
            let response = if let client {
                try await client.invoke(classID, objectID: object, function: function, payload: bytes)
            } else {
                try await oaas.invoke(classID, objectID: object, function: function, payload: bytes)
            }
            let text = String(decoding: response.payload, as: UTF8.self)
            say("  \(classID)[\(object)].\(function)(\(payload)) -> \(response.status) \(text)")
        }
        await client?.close()

        let info = oaas.serverInfo
        say("Server info: running=\(info.running) port=\(info.port.map(String.init) ?? "-") asyncMode=\(info.asyncMode.map { "\($0)" } ?? "-") mockMode=\(info.mockMode) registeredServices=\(info.registeredServices) uptime=\(info.uptime.map { "\($0)" } ?? "-") callsInFlight=\(info.callsInFlight)")
        if let add = oaas.metrics(for: "math.Calculator")?.methods["add"] {
            say("math.Calculator/add metrics: calls=\(add.calls) errors=\(add.errors) mean=\(add.averageDuration)")
        }
        try await oaas.stopServer()
        say("Server running: \(oaas.isServerRunning)")
    }
}
