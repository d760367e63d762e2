import Benchmark
import Foundation
import OaaS

/// A small Codable argument, as a method might take or return.
struct BenchOrder: Codable {
    var item: String
    var quantity: Int
    var price: Double
    var express: Bool
}

/// The JSON payload codec (`PayloadCodec`, the Python SDK's format) beside Foundation's
/// JSONDecoder and JSONEncoder, each made once outside the measured region.
func registerPayloadBenchmarks() {
    let number = Data("1234.5678".utf8)
    let order = Data(#"{"item": "widget", "quantity": 3, "price": 9.99, "express": true}"#.utf8)
    let orderValue = BenchOrder(item: "widget", quantity: 3, price: 9.99, express: true)

    Benchmark("payload_decode_Double.PayloadCodec") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PayloadCodec.decodeArgument(Double.self, from: number))
        }
    }

    Benchmark("payload_decode_Double.reference_JSONDecoder") { benchmark in
        let decoder = JSONDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! decoder.decode(Double.self, from: number))
        }
    }

    Benchmark("payload_encode_Double.PayloadCodec") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PayloadCodec.encodeResult(1234.5678))
        }
    }

    Benchmark("payload_encode_Double.reference_JSONEncoder") { benchmark in
        let encoder = JSONEncoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! encoder.encode(1234.5678))
        }
    }

    Benchmark("payload_decode_struct.PayloadCodec") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PayloadCodec.decodeArgument(BenchOrder.self, from: order))
        }
    }

    Benchmark("payload_decode_struct.reference_JSONDecoder") { benchmark in
        let decoder = JSONDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! decoder.decode(BenchOrder.self, from: order))
        }
    }

    Benchmark("payload_encode_struct.PayloadCodec") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PayloadCodec.encodeResult(orderValue))
        }
    }

    Benchmark("payload_encode_struct.reference_JSONEncoder") { benchmark in
        let encoder = JSONEncoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! encoder.encode(orderValue))
        }
    }
}
