import OaasGRPC
import OaasLoop
import OaasProto

/// `oprc.OprcFunction` for tests and benchmarks, by `fn_id`:
/// - `echo`: the payload back, status OKAY, an invocation id: what a minimal echo method
///   returns, and what the load benchmark measures;
/// - `sleep`: the same after `payload` milliseconds (a deadline or cancel stops it);
/// - `fail`: status APP_ERROR, payload `failed on purpose`;
/// - `throw`: gRPC status UNKNOWN, `thrown on purpose`;
/// - anything else: the payload back plus headers describing the request as the server read
///   it (`cls_id`, `fn_id`, `partition_id`, and for InvokeObj `object_id`), so tests can see
///   which wire version of the object id arrived.
/// Loop thread only.
enum EchoService {
    static func register(on server: GRPCServer) {
        var invocations: UInt64 = 0
        func nextInvocationID() -> String {
            invocations += 1
            return "echo-\(invocations)"
        }
        server.register("/oprc.OprcFunction/InvokeFn", .unary { call, message in
            guard let request = try? Oprc_InvocationRequest(serializedBytes: message) else {
                return call.fail(GRPCStatus(.internal, "the request is not a valid oprc.InvocationRequest"))
            }
            serve(call, loop: server.loop, fn: request.fnID, payload: request.payload, invocationID: nextInvocationID()) {
                ["cls_id": request.clsID, "fn_id": request.fnID, "partition_id": String(request.partitionID)]
            }
        })
        server.register("/oprc.OprcFunction/InvokeObj", .unary { call, message in
            guard let request = try? Oprc_ObjectInvocationRequest(serializedBytes: message) else {
                return call.fail(GRPCStatus(.internal, "the request is not a valid oprc.ObjectInvocationRequest"))
            }
            serve(call, loop: server.loop, fn: request.fnID, payload: request.payload, invocationID: nextInvocationID()) {
                ["cls_id": request.clsID, "fn_id": request.fnID, "partition_id": String(request.partitionID),
                 "object_id": request.resolvedObjectID ?? ""]
            }
        })
    }

    private static func serve(_ call: GRPCServerCall, loop: EventLoop, fn: String, payload: Data,
                              invocationID: String, describe: () -> [String: String]) {
        var response = Oprc_InvocationResponse()
        response.invocationID = invocationID
        switch fn {
        case "echo":
            response.payload = payload
            call.respond((try? response.serializedBytes()) ?? [])
        case "sleep":
            let milliseconds = Int(String(decoding: payload, as: UTF8.self)) ?? 0
            response.payload = payload
            let reply = (try? response.serializedBytes()) ?? []
            let timer = loop.schedule(after: .milliseconds(milliseconds)) { call.respond(reply) }
            call.onCancel = { _ in timer.close() }
        case "fail":
            response.status = .appError
            response.payload = Data("failed on purpose".utf8)
            call.respond((try? response.serializedBytes()) ?? [])
        case "throw":
            call.fail(GRPCStatus(.unknown, "thrown on purpose"))
        default:
            response.payload = payload
            response.headers = describe()
            call.respond((try? response.serializedBytes()) ?? [])
        }
    }

    static func statusCountsJSON(_ stats: GRPCServerStats) -> String {
        let entries = GRPCStatus.Code.allCases.compactMap { code -> String? in
            let count = stats.count(of: code)
            return count == 0 ? nil : "\"\(code.rawValue)\": \(count)"
        }
        return "{" + entries.joined(separator: ", ") + "}"
    }
}

import struct Foundation.Data
