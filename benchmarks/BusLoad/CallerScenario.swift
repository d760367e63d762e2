import BenchSupport
import OaaS
import OaasProto
import Synchronization

/// What the caller tasks of one scenario share: the phase, and the rotation over the objects.
/// Any thread (atomics).
final class ScenarioShared: Sendable {
    private let phaseValue = Atomic<Int>(RunPhase.warmup.rawValue)
    private let nextObject = Atomic<Int>(0)

    var phase: RunPhase {
        RunPhase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .draining
    }

    func enter(_ phase: RunPhase) {
        phaseValue.store(phase.rawValue, ordering: .releasing)
    }

    /// The next object in a rotation shared by all callers, as in nats-load: calls in flight
    /// spread over the objects rather than each caller keeping to one.
    func objectIndex(among count: Int) -> Int {
        nextObject.wrappingAdd(1, ordering: .relaxed).oldValue % count
    }
}

/// One measured scenario: `callers` tasks calling `add` through `path` in a closed loop.
struct CallerScenario {
    let path: CallPath
    let callers: Int
    var tally: RunTally
    let measuredSeconds: Double
    /// getrusage of the whole process over the window: callers, runtime loop, everything.
    let processCPUSeconds: Double
    /// CPU of the runtime's one loop thread (`oaas-runtime`) over the window, which serves the
    /// server handler and the agent alike; `nil` if /proc could not tell.
    let loopCPUSeconds: Double?

    static func run(path: CallPath, callers: Int, options: BusLoadOptions) async -> CallerScenario {
        let shared = ScenarioShared()
        let objectIDs = (0..<options.objects).map(String.init)
        let payload = Array(options.payload.utf8)
        let timeout = Duration.seconds(options.timeoutSeconds)
        let expected = min(options.durationSeconds * 200_000 / max(callers, 1), 1 << 24)
        note("path=\(path.rawValue) callers=\(callers) warm-up for \(options.warmupSeconds) s")
        return await withTaskGroup(of: RunTally.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var tally = RunTally(expectedSamples: expected)
                    while shared.phase != .draining {
                        let objectID = objectIDs[shared.objectIndex(among: objectIDs.count)]
                        let started = BenchClock.nanoseconds()
                        let failure = await call(path, objectID: objectID, payload: payload, timeout: timeout)
                        let ended = BenchClock.nanoseconds()
                        // The phase at completion decides the tally (see RunTally).
                        let phase = shared.phase
                        if let failure {
                            tally.failed(in: phase, reason: failure)
                        } else {
                            tally.succeeded(in: phase, nanoseconds: ended &- started)
                        }
                    }
                    return tally
                }
            }
            try? await Task.sleep(for: .seconds(options.warmupSeconds))
            shared.enter(.measuring)
            let start = BenchClock.nanoseconds()
            let cpuStart = BenchClock.processCPUSeconds()
            let loopStart = BenchClock.threadCPUSeconds(named: "oaas-runtime")
            note("path=\(path.rawValue) callers=\(callers) phase=measuring")
            try? await Task.sleep(for: .seconds(options.durationSeconds))
            shared.enter(.draining)
            let end = BenchClock.nanoseconds()
            let cpuEnd = BenchClock.processCPUSeconds()
            let loopEnd = BenchClock.threadCPUSeconds(named: "oaas-runtime")
            note("path=\(path.rawValue) callers=\(callers) phase=draining")
            var tally = RunTally(expectedSamples: 0)
            for await part in group { tally.merge(part) }
            let loopCPU: Double? = if let loopStart, let loopEnd { loopEnd - loopStart } else { nil }
            return CallerScenario(path: path, callers: callers, tally: tally, measuredSeconds: Double(end - start) / 1e9,
                                  processCPUSeconds: max(0, cpuEnd - cpuStart), loopCPUSeconds: loopCPU)
        }
    }

    /// One call of `math.Calculator/add`; the failure key, or `nil` for an OKAY answer.
    static func call(_ path: CallPath, objectID: String, payload: [UInt8], timeout: Duration) async -> String? {
        do {
            let response: Oprc_InvocationResponse
            switch path {
            case .server:
                response = try await oaas.invoke("math.Calculator", objectID: objectID, function: "add", payload: payload)
            case .bus:
                response = try await oaas.invokeViaBus("math.Calculator", objectID: objectID, function: "add",
                                                       payload: payload, timeout: timeout)
            }
            guard response.status == .okay else { return "status_\(response.status.rawValue)" }
            return response.payload.isEmpty ? "empty_payload" : nil
        } catch {
            return (error as? any OaasError)?.code ?? "\(error)"
        }
    }

    /// This scenario as one JSON object of the report (sorts the latency samples: their last use).
    mutating func json() -> String {
        var fields = JSONFields()
        fields.add("path", path.rawValue)
        fields.add("callers", callers)
        tally.addReport(to: &fields, measuredSeconds: measuredSeconds, cpuSeconds: processCPUSeconds)
        if let loopCPUSeconds {
            fields.add("loop_thread_cpu_seconds", loopCPUSeconds, places: 3)
            fields.add("loop_thread_cpu_utilisation", measuredSeconds > 0 ? loopCPUSeconds / measuredSeconds : 0, places: 4)
        } else {
            fields.add("loop_thread_cpu_seconds", json: "null")
            fields.add("loop_thread_cpu_utilisation", json: "null")
        }
        return fields.text
    }

    static func note(_ text: String) {
        StandardError.line("bus-load: \(text)")
    }
}
