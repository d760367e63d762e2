import OaasProto
import SwiftProtobuf

/// Judges a reply for `--check`: a reply that arrived but is wrong is a failure, so that a
/// responder cannot look fast by answering garbage. Any thread (pure).
enum ReplyCheck {
    /// Why `reply` to `request` is wrong (a failure key for the report), or `nil` if it is right.
    static func problem(with reply: [UInt8], to request: [UInt8], check: NATSLoadOptions.Check) -> String? {
        switch check {
        case .echo:
            return reply == request ? nil : "check:not_an_echo"
        case .invocationResponse:
            guard let response = try? Oprc_InvocationResponse(serializedBytes: reply) else {
                return "check:not_an_invocation_response"
            }
            guard response.status == .okay else { return "check:status_\(response.status.rawValue)" }
            // Calculator/add answers the running total, a JSON number: an empty payload would
            // mean the method never ran.
            return response.payload.isEmpty ? "check:empty_payload" : nil
        }
    }
}
