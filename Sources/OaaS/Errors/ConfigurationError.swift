/// A configuration value (an `OaasConfig` argument or an environment variable) is invalid.
/// Any thread.
public struct ConfigurationError: OaasError, Equatable {
    /// The setting, e.g. `HTTP_PORT`.
    public let setting: String
    /// The value as given.
    public let value: String
    /// What a valid value looks like.
    public let expected: String

    /// Makes the error for `setting` holding `value`.
    public init(setting: String, value: String, expected: String) {
        self.setting = setting
        self.value = value
        self.expected = expected
    }

    public var code: String { "CONFIGURATION_ERROR" }
    public var message: String { "\(setting)='\(value)' is invalid: expected \(expected)" }
}

/// A service cannot be registered: its definition is malformed. Any thread.
public struct RegistrationError: OaasError, Equatable {
    /// The class id or type that was being registered.
    public let service: String
    /// What is wrong with it.
    public let problem: String

    /// Makes the error.
    public init(service: String, problem: String) {
        self.service = service
        self.problem = problem
    }

    public var code: String { "SERVICE_REGISTRATION_ERROR" }
    public var message: String { "Cannot register service \(service): \(problem)" }
}
