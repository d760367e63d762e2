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

    /// Registers both methods, answered by `engine` (the engine of the server's handler).
    /// Loop thread only.
    static func register(on server: GRPCServer, engine: InvocationEngine) {
        server.register(invokeFunctionPath, route(engine, message: "oprc.InvocationRequest", decode: OprcWire.functionInvocation))
        server.register(invokeObjectPath, route(engine, message: "oprc.ObjectInvocationRequest", decode: OprcWire.objectInvocation))
    }

    /// A unary method that decodes its request with `decode` and hands it to `engine`.
    private static func route(
        _ engine: InvocationEngine, message: String,
        decode: @escaping (UnsafeRawBufferPointer) throws(OprcWire.Malformed) -> Invocation
    ) -> GRPCMethod {
        .unary { call, bytes in
            let invocation: Invocation
            do {
                invocation = try bytes.withUnsafeBytes { raw throws(OprcWire.Malformed) in try decode(raw) }
            } catch {
                return call.fail(GRPCStatus(.internal, "the request is not a valid \(message): \(error)"))
            }
            engine.invoke(invocation, replyTo: call)
        }
    }

    fileprivate static func respond(_ call: GRPCServerCall, _ response: Oprc_InvocationResponse) {
        // The engine's responses carry only a payload and a status, which OprcWire writes
        // directly; anything richer goes through SwiftProtobuf.
        if response.headers.isEmpty, response.invocationID.isEmpty, response.unknownFields.data.isEmpty {
            return OprcWire.withResponse(status: response.status, payload: response.payload) { call.respond(bytes: $0) }
        }
        do {
            let bytes: [UInt8] = try response.serializedBytes()
            call.respond(bytes)
        } catch {
            call.fail(GRPCStatus(.internal, "the response could not be encoded: \(error)"))
        }
    }
}

/// A gRPC call is where its response goes, with no wrapper to allocate; a call whose client
/// cancelled it (or whose deadline passed) is abandoned, so it is dropped if it has not started.
extension GRPCServerCall: InvocationReply {
    func deliver(_ response: Oprc_InvocationResponse) {
        OprcFunctionRoutes.respond(self, response)
    }

    var isAbandoned: Bool { isCancelled || isFinished }
}
