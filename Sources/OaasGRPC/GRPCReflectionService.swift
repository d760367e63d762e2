import struct Foundation.Data
import OaasProto

/// Server reflection (`grpc.reflection.v1` and `v1alpha`): lists the registered services and
/// returns the file descriptors that define them, from the descriptors compiled into
/// `OaasProto`.
///
/// The two versions have the same messages under different package names, so their bytes are
/// identical on the wire: one implementation, registered under both paths, serves both.
enum GRPCReflectionService {
    static let v1Path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
    static let v1alphaPath = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

    static func serve(_ call: GRPCServerCall, services: @escaping () -> [String]) {
        call.onMessage = { [unowned call] message in
            guard let request = try? Grpc_Reflection_V1_ServerReflectionRequest(serializedBytes: message) else {
                return call.finish(GRPCStatus(.invalidArgument, "the request is not a valid ServerReflectionRequest"))
            }
            let response = answer(request, services: services())
            call.send((try? response.serializedBytes()) ?? [])
        }
        call.onRequestEnd = { [unowned call] in call.finish(.ok) }
    }

    static func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest, services: [String])
        -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices?:
            var list = Grpc_Reflection_V1_ListServiceResponse()
            list.service = services.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.listServicesResponse = list
        case .fileByFilename(let name)?:
            response.messageResponse = files(OaasProtoDescriptors.fileDescriptorProtosWithDependencies(named: name),
                                             missing: "no file named '\(name)'")
        case .fileContainingSymbol(let symbol)?:
            response.messageResponse = files(OaasProtoDescriptors.fileDescriptorProtosWithDependencies(containingSymbol: symbol),
                                             missing: "no symbol named '\(symbol)'")
        case .allExtensionNumbersOfType(let type)?:
            if OaasProtoDescriptors.fileName(containingSymbol: type) != nil {
                var numbers = Grpc_Reflection_V1_ExtensionNumberResponse()
                numbers.baseTypeName = type
                response.allExtensionNumbersResponse = numbers  // no extensions are defined
            } else {
                response.messageResponse = notFound("no type named '\(type)'")
            }
        case .fileContainingExtension(let extensionRequest)?:
            response.messageResponse = notFound(
                "no extension \(extensionRequest.extensionNumber) of '\(extensionRequest.containingType)'")
        case nil:
            var error = Grpc_Reflection_V1_ErrorResponse()
            error.errorCode = Int32(GRPCStatus.Code.invalidArgument.rawValue)
            error.errorMessage = "the request names no question"
            response.errorResponse = error
        }
        return response
    }

    private static func files(_ protos: [[UInt8]]?, missing: String)
        -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard let protos else { return notFound(missing) }
        var files = Grpc_Reflection_V1_FileDescriptorResponse()
        files.fileDescriptorProto = protos.map { Data($0) }
        return .fileDescriptorResponse(files)
    }

    private static func notFound(_ message: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        var error = Grpc_Reflection_V1_ErrorResponse()
        error.errorCode = Int32(GRPCStatus.Code.notFound.rawValue)
        error.errorMessage = message
        return .errorResponse(error)
    }
}

extension GRPCServer {
    /// Serves server reflection, v1 and v1alpha, describing the registered services.
    /// Loop thread only.
    public func enableReflection() {
        let serve: GRPCMethod = .streaming { [unowned self] call in
            GRPCReflectionService.serve(call) { [unowned self] in serviceNames }
        }
        register(GRPCReflectionService.v1Path, serve)
        register(GRPCReflectionService.v1alphaPath, serve)
    }
}
