import OaasGRPC
import OaasLoop
import OaasProto

/// `oprc.OprcFunction` for tests and benchmarks: echoes payloads, and by `fn_id` sleeps
/// (`sleep`: payload = milliseconds), answers APP_ERROR (`fail`), or throws (`throw`).
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
            let headers = ["cls_id": request.clsID, "fn_id": request.fnID, "partition_id": String(request.partitionID)]
            serve(call, loop: server.loop, fn: request.fnID, payload: request.payload, headers: headers,
                  invocationID: nextInvocationID())
        })
        server.register("/oprc.OprcFunction/InvokeObj", .unary { call, message in
            guard let request = try? Oprc_ObjectInvocationRequest(serializedBytes: message) else {
                return call.fail(GRPCStatus(.internal, "the request is not a valid oprc.ObjectInvocationRequest"))
            }
            let headers = ["cls_id": request.clsID, "fn_id": request.fnID, "partition_id": String(request.partitionID),
                           "object_id": request.resolvedObjectID ?? ""]
            serve(call, loop: server.loop, fn: request.fnID, payload: request.payload, headers: headers,
                  invocationID: nextInvocationID())
        })
    }

    private static func serve(_ call: GRPCServerCall, loop: EventLoop, fn: String, payload: Data,
                              headers: [String: String], invocationID: String) {
        var response = Oprc_InvocationResponse()
        response.headers = headers
        response.invocationID = invocationID
        switch fn {
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
