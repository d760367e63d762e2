import Benchmark
@_spi(Benchmarks) import OaaS
import OaasProto
import SwiftProtobuf
import struct Foundation.Data

/// The invocation messages as the server reads and writes them (`OprcWire`), beside
/// SwiftProtobuf's generated code doing the same job. Both decoders yield the same fields:
/// class, function, partition, the resolved object id and the payload.
func registerProtobufBenchmarks() {
    Benchmark("proto_decode_ObjectInvocationRequest.OprcWire") { benchmark in
        let requests = Fixtures.requests(function: "add", payload: Fixtures.addPayload)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            requests[iteration & Fixtures.objectMask].withUnsafeBytes { bytes in
                blackHole(try! OprcWireBenchmarkHook.decodeObjectInvocation(bytes))
            }
        }
    }

    Benchmark("proto_decode_ObjectInvocationRequest.reference_SwiftProtobuf") { benchmark in
        let requests = Fixtures.requests(function: "add", payload: Fixtures.addPayload)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            let request = try! Oprc_ObjectInvocationRequest(serializedBytes: requests[iteration & Fixtures.objectMask])
            blackHole((request.clsID, request.fnID, request.partitionID, request.resolvedObjectID, request.payload))
        }
    }

    // The server writes the response into stack space and copies it once into the body;
    // SwiftProtobuf's natural use returns a new array per message.
    Benchmark("proto_encode_InvocationResponse.OprcWire") { benchmark in
        let payload = Fixtures.echoPayload
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(OprcWireBenchmarkHook.withResponse(status: .okay, payload: payload) { $0.count })
        }
    }

    Benchmark("proto_encode_InvocationResponse.reference_SwiftProtobuf") { benchmark in
        var response = Oprc_InvocationResponse()
        response.payload = Fixtures.echoPayload
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let bytes: [UInt8] = try! response.serializedBytes()
            blackHole(bytes)
        }
    }
}
