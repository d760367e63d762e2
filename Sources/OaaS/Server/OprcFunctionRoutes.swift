import OaasGRPC
import OaasProto
import SwiftProtobuf

/// Puts `oprc.OprcFunction` (`InvokeFn`, `InvokeObj`) on a gRPC server, answered by a handler.
///
/// A request that is not valid protobuf fails with gRPC `INTERNAL`, as grpc-go and grpc-java
/// answer undecodable messages; everything that decodes gets an in-band `InvocationResponse`.
enum OprcFunctionRoutes {
    static let invokeFunctionPath = "/oprc.OprcFunction/InvokeFn"
    static let invokeObjectPath = "/oprc.OprcFunction/InvokeObj"

    /// Registers both methods. Loop thread only.
    static func register(on server: GRPCServer, handler: any InvocationHandler) {
        server.register(invokeFunctionPath, .unary { call, message in
            let request: Oprc_InvocationRequest
            do {
                request = try Oprc_InvocationRequest(serializedBytes: message)
            } catch {
                return call.fail(GRPCStatus(.internal, "the request is not a valid oprc.InvocationRequest: \(error)"))
            }
            handler.invokeFunction(request) { response in respond(call, response) }
        })
        server.register(invokeObjectPath, .unary { call, message in
            let request: Oprc_ObjectInvocationRequest
            do {
                request = try Oprc_ObjectInvocationRequest(serializedBytes: message)
            } catch {
                return call.fail(GRPCStatus(.internal, "the request is not a valid oprc.ObjectInvocationRequest: \(error)"))
            }
            handler.invokeObject(request) { response in respond(call, response) }
        })
    }

    private static func respond(_ call: GRPCServerCall, _ response: Oprc_InvocationResponse) {
        do {
            let bytes: [UInt8] = try response.serializedBytes()
            call.respond(bytes)
        } catch {
            call.fail(GRPCStatus(.internal, "the response could not be encoded: \(error)"))
        }
    }
}
