import OaaS

/// The benchmark's own `math.Calculator`: `add` keeps a running total per object and is served
/// both by the (mock) server and by agents, so one method can be called either way and the two
/// paths compared on the same work. The demo has a Calculator too; this one is defined here so
/// that bus-load depends on the runtime only, not on the demo executable.
@Service("Calculator", package: "math")
final class BenchCalculator: OaasObject {
    var result: Double = 0

    @Method(serveWithAgent: true) func add(_ value: Double) -> Double {
        result += value
        return result
    }
}
