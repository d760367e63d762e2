import Benchmark
@_spi(Benchmarks) import OaasGRPC

/// gRPC's length-prefixed messages, read from DATA chunks and written into a response body,
/// with the server's own reader and writer. No reference: every gRPC library has its own.
func registerGRPCFramingBenchmarks() {
    Benchmark("grpc_read_request_in_one_DATA_chunk") { benchmark in
        let chunks = Fixtures.requests(function: "add", payload: Fixtures.addPayload).map(Fixtures.grpcFramed)
        var reader = GRPCMessageReaderBenchmarkHook()
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            chunks[iteration & Fixtures.objectMask].withUnsafeBytes { chunk in
                try! reader.append(chunk) { blackHole($0) }
            }
        }
    }

    // The prefix split in two and the message in two: the reader's partial paths.
    Benchmark("grpc_read_request_split_over_3_DATA_chunks") { benchmark in
        let framed = Fixtures.requests(function: "add", payload: Fixtures.addPayload).map(Fixtures.grpcFramed)
        let chunks = framed.map { bytes in [Array(bytes[0..<2]), Array(bytes[2..<12]), Array(bytes[12...])] }
        var reader = GRPCMessageReaderBenchmarkHook()
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            for piece in chunks[iteration & Fixtures.objectMask] {
                piece.withUnsafeBytes { chunk in try! reader.append(chunk) { blackHole($0) } }
            }
        }
    }

    Benchmark("grpc_write_response_into_reused_body") { benchmark in
        let response = Fixtures.echoResponse
        var body: [UInt8] = []
        body.reserveCapacity(1_024)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            body.removeAll(keepingCapacity: true)
            response.withUnsafeBytes { GRPCMessageWriterBenchmarkHook.append($0, to: &body) }
            blackHole(body.count)
        }
    }
}
