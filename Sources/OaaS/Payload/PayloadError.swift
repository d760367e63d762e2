/// Why a payload could not be turned into a Swift value, or a value into a payload.
///
/// Any thread. `code` uses the Python SDK's error codes so the dispatcher can put it straight
/// into the `error_code` field of an `APP_ERROR` response that Python callers understand.
public struct PayloadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One of `TYPE_MISMATCH_ERROR`, `DESERIALIZATION_ERROR`, `SERIALIZATION_ERROR` or `MISSING_ARGUMENT`. Any thread.
    public let code: String
    /// Human-readable explanation, including the coding path of a nested failure. Any thread.
    public let message: String
    /// Name of the Swift type the codec was asked for (for example `Double` or `Point`); for a
    /// nested failure it is still the outermost type, which is what a dispatcher reports as the
    /// parameter type. Any thread.
    public let expectedType: String

    /// Creates an error. Any thread.
    public init(code: String, message: String, expectedType: String) {
        self.code = code
        self.message = message
        self.expectedType = expectedType
    }

    /// The message. Any thread.
    public var description: String { message }

    /// A value had the wrong JSON kind or was out of range for the Swift type. Any thread.
    public static let typeMismatchCode = "TYPE_MISMATCH_ERROR"
    /// The payload was not valid JSON, or a value was structurally wrong (missing key, bad base64). Any thread.
    public static let deserializationCode = "DESERIALIZATION_ERROR"
    /// A Swift value could not be represented as a payload. Any thread.
    public static let serializationCode = "SERIALIZATION_ERROR"
    /// A required argument was absent (empty payload, or a missing named argument). Any thread.
    public static let missingArgumentCode = "MISSING_ARGUMENT"
}

extension PayloadError {
    /// Returns the same error reporting a different outermost type.
    func reporting(expectedType: String) -> PayloadError {
        PayloadError(code: code, message: message, expectedType: expectedType)
    }

    /// Returns the same error with text appended to the message.
    func appending(_ suffix: String) -> PayloadError {
        PayloadError(code: code, message: message + suffix, expectedType: expectedType)
    }
}
