import Foundation
import OaasProto
import SwiftProtobuf
import Testing

@Suite("oprc messages")
struct OprcMessageTests {
    @Test("InvocationRequest survives encode and decode")
    func invocationRequestRoundTrip() throws {
        var request = Oprc_InvocationRequest()
        request.partitionID = 7
        request.clsID = "example.Record"
        request.fnID = "echo"
        request.options = ["timeout": "5s", "trace": "on"]
        request.payload = Data([0x00, 0xFF, 0x10])

        let bytes: [UInt8] = try request.serializedBytes()
        let decoded = try Oprc_InvocationRequest(serializedBytes: bytes)

        #expect(decoded == request)
        #expect(decoded.partitionID == 7)
        #expect(decoded.options["timeout"] == "5s")
        #expect(decoded.payload == Data([0x00, 0xFF, 0x10]))
    }

    @Test("ObjectInvocationRequest survives encode and decode, with either id")
    func objectInvocationRequestRoundTrip() throws {
        var numeric = Oprc_ObjectInvocationRequest()
        numeric.partitionID = 1
        numeric.objectID = 9_000_000_000  // beyond 32 bits, to catch truncation
        numeric.clsID = "cls"
        numeric.fnID = "fn"
        numeric.options = ["k": "v"]
        numeric.payload = Data("hello".utf8)

        let numericDecoded = try Oprc_ObjectInvocationRequest(serializedBytes: try numeric.serializedBytes() as [UInt8])
        #expect(numericDecoded == numeric)
        #expect(!numericDecoded.hasObjectIDStr)
        #expect(numericDecoded.resolvedObjectID == "9000000000")

        var textual = numeric
        textual.objectID = 0
        textual.objectIDStr = "obj-7"
        let textualDecoded = try Oprc_ObjectInvocationRequest(serializedBytes: try textual.serializedBytes() as [UInt8])
        #expect(textualDecoded == textual)
        #expect(textualDecoded.hasObjectIDStr)
        #expect(textualDecoded.resolvedObjectID == "obj-7")
    }

    @Test("InvocationResponse survives encode and decode, and keeps payload presence")
    func invocationResponseRoundTrip() throws {
        var response = Oprc_InvocationResponse()
        response.payload = Data([1, 2, 3])
        response.status = .appError
        response.headers = ["content-type": "application/json"]
        response.invocationID = "inv-123"

        let decoded = try Oprc_InvocationResponse(serializedBytes: try response.serializedBytes() as [UInt8])
        #expect(decoded == response)
        #expect(decoded.status == .appError)
        #expect(decoded.headers["content-type"] == "application/json")

        // `optional bytes`: an empty payload that was set differs from none.
        var empty = Oprc_InvocationResponse()
        empty.payload = Data()
        let emptyDecoded = try Oprc_InvocationResponse(serializedBytes: try empty.serializedBytes() as [UInt8])
        #expect(emptyDecoded.hasPayload)
        #expect(emptyDecoded.payload.isEmpty)

        let noneDecoded = try Oprc_InvocationResponse(serializedBytes: try Oprc_InvocationResponse().serializedBytes() as [UInt8])
        #expect(!noneDecoded.hasPayload)
        #expect(noneDecoded.status == .okay)
    }

    @Test("ResponseStatus has the platform's numbers and keeps unknown ones")
    func responseStatusNumbers() throws {
        #expect(Oprc_ResponseStatus.okay.rawValue == 0)
        #expect(Oprc_ResponseStatus.invalidRequest.rawValue == 1)
        #expect(Oprc_ResponseStatus.appError.rawValue == 2)
        #expect(Oprc_ResponseStatus.systemError.rawValue == 3)

        // status = 9, from some future platform: field 2, varint.
        let decoded = try Oprc_InvocationResponse(serializedBytes: [0x10, 0x09] as [UInt8])
        #expect(decoded.status == .UNRECOGNIZED(9))
        #expect(try decoded.serializedBytes() as [UInt8] == [0x10, 0x09])
    }

    // Hand-built wire bytes: what each platform version actually sends.

    /// Fields 1, 3, 4, 5 and 6, common to both platform versions:
    /// partition_id = 3, cls_id = "cls", fn_id = "fn", options = {"k": "v"}, payload = [1, 2].
    static let sharedFields: [UInt8] =
        [0x08, 0x03]  // 1: varint 3
        + [0x1A, 0x03] + Array("cls".utf8)  // 3: length-delimited
        + [0x22, 0x02] + Array("fn".utf8)  // 4: length-delimited
        + [0x2A, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x76]  // 5: map entry {1: "k", 2: "v"}
        + [0x32, 0x02, 0x01, 0x02]  // 6: bytes

    @Test("older platform: numeric object id in field 2")
    func decodesNumericObjectID() throws {
        let wire = Self.sharedFields + [0x10, 0x2A]  // 2: varint 42
        let request = try Oprc_ObjectInvocationRequest(serializedBytes: wire)

        #expect(request.objectID == 42)
        #expect(!request.hasObjectIDStr)
        #expect(request.resolvedObjectID == "42")
        #expect(request.partitionID == 3)
        #expect(request.clsID == "cls")
        #expect(request.fnID == "fn")
        #expect(request.options == ["k": "v"])
        #expect(request.payload == Data([1, 2]))
        #expect(request.unknownFields.data.isEmpty)
    }

    @Test("current platform: string object id in field 7")
    func decodesStringObjectID() throws {
        let wire = Self.sharedFields + [0x3A, 0x05] + Array("obj-7".utf8)  // 7: length-delimited
        let request = try Oprc_ObjectInvocationRequest(serializedBytes: wire)

        #expect(request.objectID == 0)
        #expect(request.hasObjectIDStr)
        #expect(request.objectIDStr == "obj-7")
        #expect(request.resolvedObjectID == "obj-7")
        #expect(request.clsID == "cls")
        #expect(request.unknownFields.data.isEmpty)
    }

    @Test("encoding puts the string id in field 7, as the current platform expects")
    func encodesStringObjectIDAsField7() throws {
        var request = Oprc_ObjectInvocationRequest()
        request.objectIDStr = "obj-7"
        #expect(try request.serializedBytes() as [UInt8] == [0x3A, 0x05] + Array("obj-7".utf8))
    }

    @Test("resolvedObjectID prefers field 7, then a non-zero field 2, else nil")
    func resolvedObjectIDPrecedence() throws {
        var request = Oprc_ObjectInvocationRequest()
        #expect(request.resolvedObjectID == nil)

        request.objectID = 42
        request.objectIDStr = "obj-7"
        #expect(request.resolvedObjectID == "obj-7")

        // A present but empty string id was still the sender's choice of form.
        request.objectIDStr = ""
        #expect(request.resolvedObjectID == "")

        request.clearObjectIDStr()
        #expect(request.resolvedObjectID == "42")

        request.objectID = UInt64.max
        #expect(request.resolvedObjectID == "18446744073709551615")
    }

    @Test(
        "malformed or truncated bytes throw",
        arguments: [
            [0x1A, 0x05] + Array("cls".utf8),  // cls_id claims 5 bytes, has 3
            [0x08, 0x80],  // varint cut off after a continuation byte
            [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // varint over 10 bytes
            [0x3A],  // key of field 7 with no length
            [0x2A, 0x04, 0x0A, 0x05, 0x61, 0x62],  // map entry whose key overruns the entry
            [0x0F],  // wire type 7 does not exist
            [0x00, 0x01],  // field number 0 is invalid
            [0x1A, 0x02, 0xC3, 0x28],  // cls_id that is not UTF-8
        ] as [[UInt8]]
    )
    func malformedBytesThrow(wire: [UInt8]) {
        #expect(throws: (any Error).self) {
            try Oprc_ObjectInvocationRequest(serializedBytes: wire)
        }
    }

    @Test("truncating a valid message anywhere inside a field throws")
    func everyTruncationInsideAFieldThrows() throws {
        var response = Oprc_InvocationResponse()
        response.payload = Data(repeating: 0xAB, count: 20)
        response.invocationID = "inv"
        let bytes: [UInt8] = try response.serializedBytes()
        // payload is the first field: key, length 20, 20 bytes. Every cut that
        // leaves it incomplete must fail rather than yield a shorter payload.
        for cut in 1..<22 {
            #expect(throws: (any Error).self, "cut at \(cut)") {
                try Oprc_InvocationResponse(serializedBytes: Array(bytes[..<cut]))
            }
        }
    }
}

@Suite("health and reflection messages")
struct GrpcMessageTests {
    @Test("health response encodes SERVING as field 1 = 1")
    func healthWire() throws {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = .serving
        #expect(try response.serializedBytes() as [UInt8] == [0x08, 0x01])
        let decoded = try Grpc_Health_V1_HealthCheckResponse(serializedBytes: [0x08, 0x03] as [UInt8])
        #expect(decoded.status == .serviceUnknown)
    }

    @Test("reflection oneofs round-trip in both versions")
    func reflectionRoundTrip() throws {
        var request = Grpc_Reflection_V1_ServerReflectionRequest()
        request.host = "localhost"
        request.fileContainingSymbol = "oprc.OprcFunction"
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.originalRequest = request
        response.fileDescriptorResponse.fileDescriptorProto = [Data([1, 2, 3])]
        let decoded = try Grpc_Reflection_V1_ServerReflectionResponse(serializedBytes: try response.serializedBytes() as [UInt8])
        #expect(decoded == response)
        #expect(decoded.originalRequest.messageRequest == .fileContainingSymbol("oprc.OprcFunction"))

        // Identical shapes: v1 bytes are valid v1alpha bytes with the same meaning.
        let alpha = try Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: try response.serializedBytes() as [UInt8])
        #expect(alpha.originalRequest.fileContainingSymbol == "oprc.OprcFunction")
        #expect(alpha.fileDescriptorResponse.fileDescriptorProto == [Data([1, 2, 3])])

        var listRequest = Grpc_Reflection_V1alpha_ServerReflectionRequest()
        listRequest.listServices = "*"
        #expect(try listRequest.serializedBytes() as [UInt8] == [0x3A, 0x01, 0x2A])
    }
}
