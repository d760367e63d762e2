import BenchSupport
import OaasBus

/// The results of a finished run, as one JSON object (`--json`) or a few lines for a person.
/// Made once after the loop has ended; sorts the latency samples once, for the form asked for.
struct NATSLoadReport {
    /// The JSON object, or the lines for a person.
    let output: String
    let exitStatus: Int32

    init(run: NATSLoadRun, json: Bool) {
        let options = run.options
        let measured = run.windowEnd > run.windowStart ? Double(run.windowEnd - run.windowStart) / 1e9 : 0
        let cpu = max(0, run.cpuAtWindowEnd - run.cpuAtWindowStart)
        var tally = run.tally
        let rate = measured > 0 ? Double(tally.succeeded) / measured : 0

        if run.connectError != nil {
            exitStatus = 3
        } else if tally.failed > 0 || tally.warmupFailed > 0 || run.endedEarly {
            exitStatus = 1
        } else {
            exitStatus = 0
        }

        guard !json else {
            output = Self.json(run: run, tally: &tally, measured: measured, cpu: cpu, exitStatus: exitStatus)
            return
        }
        var lines = [
            "\(options.url): \(options.callers) caller(s); \(run.requests.summary)",
            "measured \(JSONFields.fixed(measured, places: 3)) s: \(tally.succeeded) succeeded, \(tally.failed) failed, "
                + "\(Int(rate.rounded())) req/s",
        ]
        if let latency = LatencySummary(sorting: &tally.latencies) {
            lines.append("latency µs (\(latency.samples) samples): mean \(JSONFields.fixed(latency.mean, places: 1)), "
                + "p50 \(JSONFields.fixed(latency.p50, places: 1)), p90 \(JSONFields.fixed(latency.p90, places: 1)), "
                + "p99 \(JSONFields.fixed(latency.p99, places: 1)), max \(JSONFields.fixed(latency.max, places: 1))")
        }
        if !tally.failures.isEmpty { lines.append("failures: \(tally.failures.sorted { $0.key < $1.key })") }
        if tally.warmupFailed > 0 { lines.append("warm-up failures: \(tally.warmupFailures.sorted { $0.key < $1.key })") }
        if let check = options.check { lines.append("checked \(run.checked) replies (\(check.rawValue), every \(options.checkEvery))") }
        lines.append("generator CPU: \(JSONFields.fixed(cpu, places: 3)) s, "
            + "\(Int((measured > 0 ? 100 * cpu / measured : 0).rounded()))% of one core")
        if let error = run.connectError { lines.append("NO CONNECTION: \(error)") }
        if run.endedEarly { lines.append("ENDED EARLY") }
        output = lines.joined(separator: "\n")
    }

    private static func json(run: NATSLoadRun, tally: inout RunTally, measured: Double, cpu: Double, exitStatus: Int32) -> String {
        let options = run.options
        let statistics = run.statistics
        var fields = JSONFields()
        fields.add("tool", "nats-load")
        fields.add("url", options.url)
        fields.add("key", BusKey.object(classID: options.classID, partition: options.partition, objectID: "{0..\(options.objects - 1)}",
                                        function: options.function))
        fields.add("subject_example", BusKey.subject(forKey: run.requests.keys[0]))
        fields.add("requests", run.requests.summary)
        fields.add("request_bytes", run.requests.payloads[0].count)
        fields.add("objects", options.objects)
        fields.add("callers", options.callers)
        fields.add("warmup_seconds", options.warmupSeconds)
        switch options.stop {
        case .duration(let seconds):
            fields.add("duration_seconds", seconds)
            fields.add("request_limit", json: "null")
        case .count(let n):
            fields.add("duration_seconds", json: "null")
            fields.add("request_limit", n)
        }
        fields.add("timeout_seconds", options.timeoutSeconds)
        fields.add("check", options.check?.rawValue ?? "none")
        fields.add("check_every", options.checkEvery)
        fields.add("checked_replies", run.checked)
        fields.add("ended_early", run.endedEarly)
        fields.add("connect_error", run.connectError ?? "")
        var client = JSONFields()
        client.add("messages_out", statistics.messagesOut)
        client.add("messages_in", statistics.messagesIn)
        client.add("dropped_replies", statistics.droppedReplies)
        client.add("reconnects", statistics.reconnects)
        client.add("server_errors", statistics.serverErrors)
        fields.add("client", json: client.text)
        tally.addReport(to: &fields, measuredSeconds: measured, cpuSeconds: cpu)
        fields.add("counting", RunTally.countingNote)
        fields.add("exit_status", Int(exitStatus))
        return fields.text
    }
}
