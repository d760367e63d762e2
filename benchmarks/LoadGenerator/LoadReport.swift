/// The results of a finished run, as one JSON object (`--json`) or a short human summary.
/// Built once on the loop thread after the loop has ended.
struct LoadReport {
    let run: LoadRun
    let latency: LatencySummary?

    /// Sorts the run's latency samples (their last use).
    init(run: LoadRun) {
        self.run = run
        self.latency = LatencySummary(sorting: &run.stats.latencies)
    }

    var measuredSeconds: Double {
        run.windowEnd > run.windowStart ? Double(run.windowEnd - run.windowStart) / 1e9 : 0
    }
    var cpuSeconds: Double { max(0, run.cpuAtWindowEnd - run.cpuAtWindowStart) }
    var requestsPerSecond: Double { measuredSeconds > 0 ? Double(run.stats.succeeded) / measuredSeconds : 0 }

    /// 0 every request succeeded; 1 something failed, a connection was lost or the run ended
    /// early; 3 nothing could connect.
    var exitStatus: Int32 {
        if run.connected == 0 { return 3 }
        let stats = run.stats
        if stats.failed > 0 || stats.warmupFailed > 0 || run.connectFailed > 0 || run.lost > 0 || run.endedEarly {
            return 1
        }
        return 0
    }

    var json: String {
        let options = run.options
        let stats = run.stats
        var fields: [(String, String)] = [
            ("tool", quoted("oaas-load")),
            ("target", quoted("\(run.address)")),
            ("path", quoted(options.path)),
            ("method", quoted(options.resolvedMethod)),
            ("mode", quoted(options.httpOnly ? "http-only" : "grpc")),
            ("check_payload", "\(options.checkPayload)"),
            ("body", quoted(run.bodies.summary)),
            ("distinct_bodies", "\(run.bodies.bodies.count)"),
            ("connections", "\(options.connections)"),
            ("streams_per_connection", "\(options.streams)"),
            ("warmup_seconds", "\(options.warmupSeconds)"),
        ]
        switch options.stop {
        case .duration(let seconds):
            fields.append(("duration_seconds", "\(seconds)"))
            fields.append(("request_limit", "null"))
        case .count(let n):
            fields.append(("duration_seconds", "null"))
            fields.append(("request_limit", "\(n)"))
        }
        fields += [
            ("measured_seconds", number(measuredSeconds, 6)),
            ("ended_early", "\(run.endedEarly)"),
            ("requests", "\(stats.succeeded + stats.failed)"),
            ("succeeded", "\(stats.succeeded)"),
            ("failed", "\(stats.failed)"),
            ("failures", counts(stats.failures)),
            ("requests_per_second", number(requestsPerSecond, 1)),
            ("latency_us", latencyJSON),
            ("generator_cpu_seconds", number(cpuSeconds, 3)),
            ("generator_cpu_utilisation", number(measuredSeconds > 0 ? cpuSeconds / measuredSeconds : 0, 4)),
            ("warmup", "{\"succeeded\": \(stats.warmupSucceeded), \"failed\": \(stats.warmupFailed), "
                + "\"failures\": \(counts(stats.warmupFailures))}"),
            ("after_window_succeeded", "\(stats.afterWindowSucceeded)"),
            ("connection", "{\"connected\": \(run.connected), \"connect_failed\": \(run.connectFailed), "
                + "\"lost\": \(run.lost), \"goaway_received\": \(run.goAways), "
                + "\"errors\": [\(run.connectionErrors.map(quoted).joined(separator: ", "))]}"),
            ("counting", quoted(Self.countingNote)),
            ("exit_status", "\(exitStatus)"),
        ]
        return "{" + fields.map { "\(quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    static let countingNote =
        "requests_per_second = succeeded / measured_seconds. --duration: a success counts if it "
        + "completes inside the measured window (as h2load counts); failures after the warm-up "
        + "always count; -n: the N requests started after the warm-up. Latency: counted "
        + "successes, request submitted to stream closed. CPU: getrusage user+sys of this "
        + "process over the measured window; utilisation 1.0 = one core busy."

    private var latencyJSON: String {
        guard let latency else { return "null" }
        return "{\"samples\": \(run.stats.latencies.count), \"mean\": \(number(latency.mean, 1)), "
            + "\"p50\": \(number(latency.p50, 1)), \"p90\": \(number(latency.p90, 1)), "
            + "\"p99\": \(number(latency.p99, 1)), \"max\": \(number(latency.max, 1)), "
            + "\"min\": \(number(latency.min, 1))}"
    }

    /// A few lines for a person, when `--json` is not given.
    var text: String {
        let stats = run.stats
        var lines = [
            "target \(run.address)\(run.options.path) (\(run.options.httpOnly ? "http-only" : "grpc")), "
                + "\(run.options.connections) connections x \(run.options.streams) streams; \(run.bodies.summary)",
            "measured \(String(format3: measuredSeconds)) s: \(stats.succeeded) succeeded, \(stats.failed) failed, "
                + "\(Int(requestsPerSecond.rounded())) req/s",
        ]
        if let latency {
            lines.append("latency µs: mean \(number(latency.mean, 1)), p50 \(number(latency.p50, 1)), "
                + "p90 \(number(latency.p90, 1)), p99 \(number(latency.p99, 1)), max \(number(latency.max, 1))")
        }
        if !stats.failures.isEmpty { lines.append("failures: \(counts(stats.failures))") }
        if stats.warmupFailed > 0 { lines.append("warm-up failures: \(counts(stats.warmupFailures))") }
        lines.append("generator CPU: \(String(format3: cpuSeconds)) s, "
            + "\(Int((measuredSeconds > 0 ? 100 * cpuSeconds / measuredSeconds : 0).rounded()))% of one core")
        if run.endedEarly { lines.append("ENDED EARLY: no connection was left, or interrupted") }
        lines.append("connections: \(run.connected) connected, \(run.connectFailed) failed to connect, \(run.lost) lost"
            + (run.connectionErrors.isEmpty ? "" : "; " + run.connectionErrors.joined(separator: "; ")))
        return lines.joined(separator: "\n")
    }

    // MARK: JSON pieces

    private func counts(_ failures: [FailureReason: Int]) -> String {
        "{" + failures.sorted { $0.key.key < $1.key.key }
            .map { "\(quoted($0.key.key)): \($0.value)" }.joined(separator: ", ") + "}"
    }

    private func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A fixed-point decimal with `places` digits (JSON has no NaN; non-finite becomes 0).
    private func number(_ value: Double, _ places: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard places > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole).\(String(repeating: "0", count: places - digits.count))\(digits)"
    }
}
