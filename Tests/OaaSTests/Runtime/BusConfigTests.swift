import OaaS
import Testing

@Suite("Bus configuration")
struct BusConfigTests {
    @Test("the embedded bus by default; NATS settings from the environment")
    func environment() throws {
        let defaults = try OaasConfig(environment: [:])
        #expect(defaults.busURL == "embedded" && defaults.usesEmbeddedBus)
        #expect(defaults.busRequestTimeout == .seconds(10) && defaults.busConnectTimeout == .seconds(2))
        #expect(defaults.busToken == nil && defaults.busUser == nil && defaults.busPassword == nil)

        let nats = try OaasConfig(environment: [
            "OPRC_BUS_URL": "nats://127.0.0.1:4222,127.0.0.1:4223", "OPRC_BUS_TOKEN": "t0k",
            "OPRC_BUS_USER": "me", "OPRC_BUS_PASSWORD": "pw", "OAAS_BUS_TIMEOUT_MS": "250",
            "OAAS_BUS_CONNECT_TIMEOUT_MS": "500",
        ])
        #expect(!nats.usesEmbeddedBus && nats.busURL == "nats://127.0.0.1:4222,127.0.0.1:4223")
        #expect(nats.busToken == "t0k" && nats.busUser == "me" && nats.busPassword == "pw")
        #expect(nats.busRequestTimeout == .milliseconds(250) && nats.busConnectTimeout == .milliseconds(500))
        #expect(try OaasConfig(busURL: "EMBEDDED", environment: ["OPRC_BUS_URL": "junk"]).usesEmbeddedBus)
    }

    @Test("a bus URL that is neither embedded nor NATS is a ConfigurationError, without the credentials it held",
          arguments: ["http://127.0.0.1:4222", "nats://", "nats://127.0.0.1:notaport", "tls://secret@127.0.0.1:4222", "  ,  "])
    func invalidURL(url: String) {
        let error = #expect(throws: ConfigurationError.self) { try OaasConfig(environment: ["OPRC_BUS_URL": url]) }
        #expect(error?.setting == "OPRC_BUS_URL")
        #expect(error?.message.contains("secret") == false)
    }

    @Test("bus timeouts must be positive and parse")
    func invalidTimeouts() {
        #expect(throws: ConfigurationError.self) { try OaasConfig(environment: ["OAAS_BUS_TIMEOUT_MS": "0"]) }
        #expect(throws: ConfigurationError.self) { try OaasConfig(environment: ["OAAS_BUS_CONNECT_TIMEOUT_MS": "soon"]) }
        #expect(throws: ConfigurationError.self) { try OaasConfig(busRequestTimeout: .zero, environment: [:]) }
    }
}
