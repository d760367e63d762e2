import OaaS
import struct Foundation.Data

/// `math.Calculator` as the demo serves it (`add` keeps a running result per object), written
/// with the plain registration API so the suite does not depend on the demo, plus `echo`,
/// which hands its payload back: the smallest method a call can reach.
///
/// Loop-confined, like every object: the engine makes one per call on its loop's thread.
final class BenchCalculator: OaasObject, OaasService {
    var result: Double = 0

    static var serviceDefinition: ServiceDefinition<BenchCalculator> {
        var definition = ServiceDefinition<BenchCalculator>("Calculator", package: "math")
        definition = definition.method("add") { (calculator: BenchCalculator, value: Double) -> Double in
            calculator.result += value
            return calculator.result
        }
        definition = definition.method("echo") { (_: BenchCalculator, payload: Data) -> Data in payload }
        return definition
    }

    static var persistedFields: [String] { ["result"] }

    func saveState(into state: inout StateWriter) throws(PayloadError) {
        try state.write(result, field: 0)
    }

    func loadState(from state: StateReader) throws(PayloadError) {
        if let value = try state.read(Double.self, field: 0) { result = value }
    }
}
