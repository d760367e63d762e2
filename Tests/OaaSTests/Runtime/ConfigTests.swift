import OaaS
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test("environment variables fill what the arguments leave out")
    func environment() throws {
        let config = try OaasConfig(environment: ["OPRC_PARTITION_DEFAULT": "7", "MOCK_MODE": "true",
                                                  "ASYNC_MODE": "False", "HTTP_PORT": "9090",
                                                  "oaas_debug_level": "DEBUG"])
        #expect(config.defaultPartition == 7)
        #expect(config.mockMode)
        #expect(config.asyncMode == false)
        #expect(config.serverPort == 9090)
        #expect(config.debugLevel == .debug)
    }

    @Test("arguments win over the environment; defaults otherwise")
    func precedence() throws {
        let config = try OaasConfig(mockMode: false, serverPort: 1234, environment: ["MOCK_MODE": "yes", "HTTP_PORT": "oops"])
        #expect(!config.mockMode)
        #expect(config.serverPort == 1234)
        let defaults = try OaasConfig(environment: [:])
        #expect(defaults.asyncMode == nil && !defaults.mockMode && defaults.defaultPartition == 0)
        #expect(defaults.serverPort == 8080 && defaults.maxPendingCallsPerObject == 4096)
    }

    @Test("invalid environment values are errors that name the variable")
    func invalid() {
        #expect(throws: ConfigurationError(setting: "HTTP_PORT", value: "99999", expected: "an integer in 0...65535")) {
            try OaasConfig(environment: ["HTTP_PORT": "99999"])
        }
        #expect(throws: ConfigurationError.self) { try OaasConfig(environment: ["MOCK_MODE": "maybe"]) }
        #expect(throws: ConfigurationError.self) { try OaasConfig(environment: ["OPRC_PARTITION_DEFAULT": "-1"]) }
        #expect(throws: ConfigurationError.self) { try OaasConfig(environment: ["OAAS_DEBUG_LEVEL": "loud"]) }
        #expect(throws: ConfigurationError.self) { try OaasConfig(serverPort: 70000, environment: [:]) }
    }

    @Test("registration refuses malformed names")
    func registration() throws {
        let runtime = Oaas()
        #expect(throws: RegistrationError.self) { try runtime.register(BadlyNamed.self) }
        #expect(runtime.registeredServices.isEmpty)
        try runtime.register(Counter.self)
        #expect(runtime.registeredServices == ["test.Counter"])
        #expect(runtime.isRegistered(Counter.self))
    }
}

final class BadlyNamed: OaasObject, OaasService {
    static var serviceDefinition: ServiceDefinition<BadlyNamed> { ServiceDefinition("a/b", package: "x") }
}
