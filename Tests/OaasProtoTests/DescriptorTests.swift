import OaasProto
import SwiftProtobuf
import Testing

@Suite("descriptor tables for server reflection")
struct DescriptorTests {
    static let expectedFiles = [
        "oprc/oprc-invoke.proto",
        "oprc/oprc-data.proto",
        "grpc/health/v1/health.proto",
        "grpc/reflection/v1/reflection.proto",
        "grpc/reflection/v1alpha/reflection.proto",
    ]

    static func decodedFile(_ name: String) throws -> Google_Protobuf_FileDescriptorProto {
        let bytes = try #require(OaasProtoDescriptors.fileDescriptorProto(named: name))
        return try Google_Protobuf_FileDescriptorProto(serializedBytes: bytes)
    }

    @Test("every file is present and its bytes decode as a FileDescriptorProto of that name")
    func filesDecode() throws {
        #expect(Set(OaasProtoDescriptors.fileNames) == Set(Self.expectedFiles))
        #expect(OaasProtoDescriptors.files.count == Self.expectedFiles.count)
        for name in Self.expectedFiles {
            let file = try Self.decodedFile(name)
            #expect(file.name == name)
            #expect(file.syntax == "proto3")
        }
        #expect(OaasProtoDescriptors.fileDescriptorProto(named: "nope.proto") == nil)
    }

    @Test("the oprc descriptor describes the service and both object id fields")
    func oprcDescriptorContent() throws {
        let file = try Self.decodedFile("oprc/oprc-invoke.proto")
        #expect(file.package == "oprc")

        let service = try #require(file.service.first { $0.name == "OprcFunction" })
        let methods = Dictionary(uniqueKeysWithValues: service.method.map { ($0.name, $0) })
        #expect(methods["InvokeFn"]?.inputType == ".oprc.InvocationRequest")
        #expect(methods["InvokeObj"]?.inputType == ".oprc.ObjectInvocationRequest")
        #expect(methods["InvokeObj"]?.outputType == ".oprc.InvocationResponse")

        let request = try #require(file.messageType.first { $0.name == "ObjectInvocationRequest" })
        let fields = Dictionary(uniqueKeysWithValues: request.field.map { ($0.number, $0) })
        #expect(fields[2]?.name == "object_id")
        #expect(fields[2]?.type == .uint64)
        #expect(fields[7]?.name == "object_id_str")
        #expect(fields[7]?.type == .string)
        #expect(fields[7]?.proto3Optional == true)

        let status = try #require(file.enumType.first { $0.name == "ResponseStatus" })
        #expect(status.value.map(\.name) == ["OKAY", "INVALID_REQUEST", "APP_ERROR", "SYSTEM_ERROR"])
        #expect(status.value.map(\.number) == [0, 1, 2, 3])
    }

    @Test("the health descriptor has Check and a server-streaming Watch")
    func healthDescriptorContent() throws {
        let file = try Self.decodedFile("grpc/health/v1/health.proto")
        let service = try #require(file.service.first)
        #expect(service.name == "Health")
        let watch = try #require(service.method.first { $0.name == "Watch" })
        #expect(watch.serverStreaming)
        #expect(!watch.clientStreaming)
        let check = try #require(service.method.first { $0.name == "Check" })
        #expect(!check.serverStreaming)
    }

    @Test("both reflection descriptors have a bidirectional ServerReflectionInfo")
    func reflectionDescriptorContent() throws {
        for version in ["v1", "v1alpha"] {
            let file = try Self.decodedFile("grpc/reflection/\(version)/reflection.proto")
            #expect(file.package == "grpc.reflection.\(version)")
            let method = try #require(file.service.first?.method.first)
            #expect(method.name == "ServerReflectionInfo")
            #expect(method.clientStreaming && method.serverStreaming)
            #expect(method.inputType == ".grpc.reflection.\(version).ServerReflectionRequest")
        }
    }

    @Test("service names list all four services")
    func serviceNames() {
        #expect(
            OaasProtoDescriptors.serviceNames == [
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
                "oprc.OprcFunction",
            ])
    }

    @Test(
        "symbols resolve to the file that defines them",
        arguments: [
            ("oprc.OprcFunction", "oprc/oprc-invoke.proto"),
            ("oprc.OprcFunction.InvokeObj", "oprc/oprc-invoke.proto"),
            ("oprc.OprcFunction.InvokeFn", "oprc/oprc-invoke.proto"),
            ("oprc.ObjectInvocationRequest", "oprc/oprc-invoke.proto"),
            ("oprc.ObjectInvocationRequest.object_id_str", "oprc/oprc-invoke.proto"),
            ("oprc.ResponseStatus", "oprc/oprc-invoke.proto"),
            ("oprc.APP_ERROR", "oprc/oprc-invoke.proto"),  // enum values are siblings of their enum
            (".oprc.InvocationResponse", "oprc/oprc-invoke.proto"),  // leading dot as in type references
            ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
            ("grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"),
            ("grpc.reflection.v1.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1/reflection.proto"),
            ("grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"),
            ("grpc.reflection.v1alpha.ServerReflectionResponse", "grpc/reflection/v1alpha/reflection.proto"),
        ]
    )
    func symbolLookup(symbol: String, fileName: String) throws {
        #expect(OaasProtoDescriptors.fileName(containingSymbol: symbol) == fileName)
        let bytes = try #require(OaasProtoDescriptors.fileDescriptorProto(containingSymbol: symbol))
        #expect(try Google_Protobuf_FileDescriptorProto(serializedBytes: bytes).name == fileName)
    }

    @Test("unknown symbols resolve to nothing", arguments: ["", ".", "oprc", "oprc.Nope", "oprc.OprcFunction.Nope", "OprcFunction"])
    func unknownSymbol(symbol: String) {
        #expect(OaasProtoDescriptors.fileName(containingSymbol: symbol) == nil)
        #expect(OaasProtoDescriptors.fileDescriptorProto(containingSymbol: symbol) == nil)
        #expect(OaasProtoDescriptors.fileDescriptorProtosWithDependencies(containingSymbol: symbol) == nil)
    }

    @Test("the symbol table agrees with the descriptors and with the generated Swift names")
    func symbolTableMatchesDescriptors() throws {
        var fromDescriptors: Set<String> = []
        for name in OaasProtoDescriptors.fileNames {
            let file = try Self.decodedFile(name)
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for service in file.service {
                fromDescriptors.insert(prefix + service.name)
                for method in service.method { fromDescriptors.insert(prefix + service.name + "." + method.name) }
            }
            for message in file.messageType {
                fromDescriptors.insert(prefix + message.name)
                for nested in message.nestedType { fromDescriptors.insert(prefix + message.name + "." + nested.name) }
                for field in message.field { fromDescriptors.insert(prefix + message.name + "." + field.name) }
            }
            for enumType in file.enumType { fromDescriptors.insert(prefix + enumType.name) }
        }
        #expect(fromDescriptors.count > 50)
        for symbol in fromDescriptors {
            let fileName = try #require(OaasProtoDescriptors.fileName(containingSymbol: symbol), "\(symbol)")
            let file = try Self.decodedFile(fileName)
            #expect(symbol.hasPrefix(file.package + "."), "\(symbol) is in \(fileName)")
        }
        // Every symbol points at a file that is really there.
        for (symbol, fileName) in OaasProtoDescriptors.fileNameBySymbol {
            #expect(OaasProtoDescriptors.files[fileName] != nil, "\(symbol) -> \(fileName)")
        }
        // The generated messages' proto names are the ones reflection will be asked about.
        let generated: [any SwiftProtobuf.Message.Type] = [
            Oprc_InvocationRequest.self, Oprc_ObjectInvocationRequest.self, Oprc_InvocationResponse.self,
            Grpc_Health_V1_HealthCheckRequest.self, Grpc_Health_V1_HealthCheckResponse.self,
            Grpc_Reflection_V1_ServerReflectionRequest.self, Grpc_Reflection_V1alpha_ServerReflectionRequest.self,
            Grpc_Reflection_V1_ErrorResponse.self, Grpc_Reflection_V1alpha_ListServiceResponse.self,
        ]
        for type in generated {
            #expect(OaasProtoDescriptors.fileName(containingSymbol: type.protoMessageName) != nil, "\(type.protoMessageName)")
        }
    }

    @Test("dependencies are included and every import is itself served")
    func dependencies() throws {
        for name in OaasProtoDescriptors.fileNames {
            let file = try Self.decodedFile(name)
            #expect(OaasProtoDescriptors.directDependencies[name] == file.dependency)
            let closure = try #require(OaasProtoDescriptors.fileNamesWithDependencies(named: name))
            #expect(closure.first == name)
            #expect(Set(closure).count == closure.count)
            for dependency in file.dependency {
                #expect(closure.contains(dependency))
                #expect(OaasProtoDescriptors.files[dependency] != nil)
            }
            let protos = try #require(OaasProtoDescriptors.fileDescriptorProtosWithDependencies(named: name))
            #expect(protos.count == closure.count)
            #expect(protos.first == OaasProtoDescriptors.files[name])
        }
        // protoc's order lists a file after its imports; clients may rely on it.
        for (index, name) in OaasProtoDescriptors.fileNames.enumerated() {
            for dependency in OaasProtoDescriptors.directDependencies[name] ?? [] {
                let dependencyIndex = try #require(OaasProtoDescriptors.fileNames.firstIndex(of: dependency))
                #expect(dependencyIndex < index)
            }
        }
        #expect(OaasProtoDescriptors.fileNamesWithDependencies(named: "nope.proto") == nil)
        #expect(OaasProtoDescriptors.fileDescriptorProtosWithDependencies(named: "nope.proto") == nil)
    }
}
