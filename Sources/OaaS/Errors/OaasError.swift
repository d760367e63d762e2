/// The common shape of the runtime's operational errors (the design's `OaasError` family):
/// a stable code, a message a person can act on, and, when one exists, the underlying cause.
///
/// Concrete errors are ``ServerError``, ``ConfigurationError``, ``RegistrationError`` and
/// ``ObjectStoreError``; ``PayloadError`` reports codec failures. Any thread.
public protocol OaasError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable code, e.g. `SERVER_ALREADY_RUNNING`.
    var code: String { get }
    /// What went wrong, for people.
    var message: String { get }
}

extension OaasError {
    /// The message.
    public var description: String { message }
}
