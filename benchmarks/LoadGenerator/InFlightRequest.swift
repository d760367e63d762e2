import OaasHTTP2
import OaasProto
import SwiftProtobuf

/// Why a request did not succeed. Failures are rare, so they are counted in a dictionary
/// keyed by this, and named only when the report is written.
enum FailureReason: Hashable {
    /// `:status` other than 200.
    case httpStatus(Int)
    /// gRPC status other than 0 (trailers, or headers of a Trailers-Only reply).
    case grpcStatus(Int)
    /// The reply ended with no `grpc-status` at all (gRPC mode).
    case missingGRPCStatus
    /// The stream was reset (by either side) before the reply ended; the HTTP/2 error code.
    case streamReset(UInt32)
    /// The connection closed or failed with the request in flight.
    case connectionError
    /// Still in flight when the final timeout ran out.
    case timeout
    /// `--check-payload`: the reply decoded, with this `InvocationResponse.status`.
    case payloadStatus(Int)
    /// `--check-payload`: the reply was not one uncompressed `InvocationResponse`.
    case payloadUndecodable

    /// The key used in the JSON report, e.g. `grpc_status:14`, `stream_reset:REFUSED_STREAM`.
    var key: String {
        switch self {
        case .httpStatus(let code): return "http_status:\(code)"
        case .grpcStatus(let code): return "grpc_status:\(code)"
        case .missingGRPCStatus: return "missing_grpc_status"
        case .streamReset(let code):
            let name = HTTP2ErrorCode(rawValue: code).map { "\($0)" } ?? "code_\(code)"
            return "stream_reset:\(name)"
        case .connectionError: return "connection_error"
        case .timeout: return "timeout"
        case .payloadStatus(let status): return "payload_status:\(status)"
        case .payloadUndecodable: return "payload_undecodable"
        }
    }
}

/// One request stream: when it started and what its reply said so far. Pooled per
/// connection and reused, so the steady state allocates nothing per request.
///
/// Loop-confined (hence `@exclusivity(unchecked)`: no access is held across a reentrant call).
final class InFlightRequest {
    @exclusivity(unchecked) var streamID: Int32 = 0
    /// When the request was submitted to the session.
    @exclusivity(unchecked) var startNanoseconds: UInt64 = 0
    /// When it was meant to start: the schedule's time in the open loop (latency is measured
    /// from here; see `ArrivalSchedule`), `startNanoseconds` in the closed loop.
    @exclusivity(unchecked) var intendedNanoseconds: UInt64 = 0
    /// Started in the measured phase (what `-n` counts).
    @exclusivity(unchecked) var startedMeasured = false
    /// `:status`, 0 until seen.
    @exclusivity(unchecked) var httpStatus = 0
    /// `grpc-status`, -1 until seen.
    @exclusivity(unchecked) var grpcStatus = -1
    /// The peer ended its side: the reply is complete.
    @exclusivity(unchecked) var remoteEnded = false
    /// The reply body, collected only with `--check-payload`.
    @exclusivity(unchecked) var reply: [UInt8] = []

    func reset() {
        streamID = 0
        httpStatus = 0
        grpcStatus = -1
        remoteEnded = false
        if !reply.isEmpty { reply.removeAll(keepingCapacity: true) }
    }

    /// The verdict once the stream has closed with `errorCode`; nil means success.
    func outcome(errorCode: UInt32, httpOnly: Bool, checkPayload: Bool) -> FailureReason? {
        // A reset after the complete reply (e.g. RST_STREAM(NO_ERROR) from a server that
        // answered before reading all of the request) does not spoil the reply.
        guard remoteEnded else { return .streamReset(errorCode) }
        if httpStatus != 200 { return .httpStatus(httpStatus) }
        if httpOnly { return nil }
        if grpcStatus < 0 { return .missingGRPCStatus }
        if grpcStatus != 0 { return .grpcStatus(grpcStatus) }
        if checkPayload { return Self.checkInvocationResponse(reply) }
        return nil
    }

    /// One gRPC message holding an `InvocationResponse` whose status is OKAY.
    private static func checkInvocationResponse(_ body: [UInt8]) -> FailureReason? {
        guard body.count >= 5, body[0] == 0 else { return .payloadUndecodable }
        let length = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        guard body.count == 5 + length,
              let response = try? Oprc_InvocationResponse(serializedBytes: Array(body[5...])) else {
            return .payloadUndecodable
        }
        return response.status == .okay ? nil : .payloadStatus(response.status.rawValue)
    }
}

extension UnsafeRawBufferPointer {
    /// Byte equality with a literal, for header names.
    @inline(__always)
    func matches(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for index in 0..<count where self[index] != expected[index] { return false }
        return true
    }

    /// The bytes as a non-negative decimal number; nil if they are not one.
    @inline(__always)
    func decimalValue() -> Int? {
        guard !isEmpty, count <= 9 else { return nil }
        var value = 0
        for byte in self {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}
