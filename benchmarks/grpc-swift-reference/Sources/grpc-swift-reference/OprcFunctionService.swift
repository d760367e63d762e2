import GRPCCore
import GRPCProtobuf
import OaasProto
import struct Foundation.Data

/// `oprc.OprcFunction` registered by hand on grpc-swift's router, as the code that
/// protoc-gen-grpc-swift would generate does (its plugin takes minutes to build, and two methods
/// are few lines): the request stream is collapsed to its one message, the answer wrapped as a
/// one-message stream.
///
/// Answers, as our servers do:
/// - `InvokeObj` fn `echo` (any class): the payload back, status OKAY (oaas-grpc-echo's `echo`);
/// - `InvokeObj` `math.Calculator` fn `add`: the demo's running total (see ``CalculatorTotals``);
/// - any other `InvokeObj`: status INVALID_REQUEST;
/// - `InvokeFn`: the payload back, status OKAY.
struct OprcFunctionService: RegistrableRPCService {
    static let invokeFn = MethodDescriptor(fullyQualifiedService: "oprc.OprcFunction", method: "InvokeFn")
    static let invokeObj = MethodDescriptor(fullyQualifiedService: "oprc.OprcFunction", method: "InvokeObj")

    let calculator = CalculatorTotals()

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Self.invokeFn,
            deserializer: ProtobufDeserializer<Oprc_InvocationRequest>(),
            serializer: ProtobufSerializer<Oprc_InvocationResponse>()
        ) { stream, _ in
            let request = try await ServerRequest(stream: stream)
            return StreamingServerResponse(single: ServerResponse(message: Self.okay(request.message.payload)))
        }
        router.registerHandler(
            forMethod: Self.invokeObj,
            deserializer: ProtobufDeserializer<Oprc_ObjectInvocationRequest>(),
            serializer: ProtobufSerializer<Oprc_InvocationResponse>()
        ) { [calculator] stream, _ in
            let request = try await ServerRequest(stream: stream)
            return StreamingServerResponse(single: ServerResponse(message: Self.invokeObj(request.message, calculator)))
        }
    }

    private static func invokeObj(_ request: Oprc_ObjectInvocationRequest, _ calculator: CalculatorTotals) -> Oprc_InvocationResponse {
        if request.fnID == "echo" {
            return okay(request.payload)
        }
        guard request.clsID == CalculatorTotals.classID, request.fnID == "add" else {
            return failure(.invalidRequest, "fn_id '\(request.fnID)' of cls_id '\(request.clsID)' not found")
        }
        // The same rule as the runtime: field 7 if sent, else the numeric id as decimal; an
        // object method needs one.
        guard let objectID = request.resolvedObjectID, !objectID.isEmpty else {
            return failure(.invalidRequest, "math.Calculator/add needs an object id")
        }
        guard let value = JSONNumber.parse(request.payload) else {
            return failure(.appError, "the payload of add must be a JSON number")
        }
        let key = CalculatorTotals.ObjectKey(partition: request.partitionID, object: objectID)
        return okay(JSONNumber.bytes(calculator.add(value, to: key)))
    }

    private static func okay(_ payload: Data) -> Oprc_InvocationResponse {
        var response = Oprc_InvocationResponse()
        response.payload = payload
        return response
    }

    /// A failed invocation, told in the response's status (the gRPC call itself succeeds), with
    /// the reason as a UTF-8 payload: how the runtime reports it.
    private static func failure(_ status: Oprc_ResponseStatus, _ reason: String) -> Oprc_InvocationResponse {
        var response = Oprc_InvocationResponse()
        response.status = status
        response.payload = Data(reason.utf8)
        return response
    }
}
