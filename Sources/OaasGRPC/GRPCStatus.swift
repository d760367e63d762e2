/// A gRPC status: a code and a message for the caller.
///
/// Thrown by handlers to end a call with that status; any other error ends it with `unknown`
/// and the error's description. Any thread.
public struct GRPCStatus: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status codes of gRPC (`doc/statuscodes.md`).
    public enum Code: Int, Sendable, CaseIterable {
        case ok = 0
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case `internal` = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(.ok)

    public var description: String {
        message.isEmpty ? "\(code) (\(code.rawValue))" : "\(code) (\(code.rawValue)): \(message)"
    }
}
