import Foundation

/// How a thrown error reaches the caller, following the Python SDK (§2.11 of its
/// behaviour notes): a method without an argument answers the error's text; a method with one
/// answers a JSON object naming the error type, the parameter type, the message and a code.
enum ErrorReport {
    /// The `APP_ERROR` payload for `error` thrown by (or while decoding the argument of) a
    /// method whose argument type is `parameterType` (`nil`: no argument).
    static func payload(for error: any Error, parameterType: String?) -> Data {
        let message = text(of: error)
        guard let parameterType else { return Data(message.utf8) }
        return PayloadCodec.errorPayload(errorType: typeName(of: error), parameterType: parameterType,
                                         message: message, code: code(of: error))
    }

    /// The error's message: ours, a `LocalizedError`'s description, or its Swift description.
    static func text(of error: any Error) -> String {
        if let error = error as? PayloadError { return error.message }
        if let error = error as? any OaasError { return error.message }
        if let error = error as? any LocalizedError, let description = error.errorDescription { return description }
        return String(describing: error)
    }

    /// Codec failures carry the Python SDK's class name so Python callers raise the matching
    /// exception (`SerializationError`); other errors their Swift type name.
    private static func typeName(of error: any Error) -> String {
        if error is PayloadError { return "SerializationError" }
        return String(describing: type(of: error))
    }

    private static func code(of error: any Error) -> String {
        if let error = error as? PayloadError { return error.code }
        if let error = error as? any OaasError { return error.code }
        return "RPC_PARAM_ERROR"
    }
}
