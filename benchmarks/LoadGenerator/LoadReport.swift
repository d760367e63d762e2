import BenchSupport

/// The results of a finished run, as one JSON object (`--json`) or a short human summary.
/// Built once on the loop thread after the loop has ended.
struct LoadReport {
    let run: LoadRun
    /// From the intended start (open loop) or the submission (closed loop) to the close.
    let latency: LatencySummary?
    /// From the submission to the close; the same as `latency` in the closed loop.
    let serviceTime: LatencySummary?
    /// Open loop: how far behind its intended time each measured request started.
    let scheduleLag: LatencySummary?

    init(run: LoadRun) {
        self.run = run
        self.latency = run.stats.latency.summary
        self.serviceTime = run.schedule == nil ? latency : run.stats.serviceTime.summary
        self.scheduleLag = run.schedule?.lag.summary
    }

    /// The share of the target rate below which an open-loop run says it missed its rate.
    /// Not 1.0: the window's edges cut the requests in flight there, a few per thousand.
    static let rateReachedShare = 0.97

    /// Open loop: whether the successes per second reached the target (within the share
    /// above); nil in the closed loop.
    var targetRateReached: Bool? {
        guard let rate = run.options.rate else { return nil }
        return requestsPerSecond >= Self.rateReachedShare * rate
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
            ("target", quoted(run.targetDescription)),
            ("path", quoted(options.path)),
            ("method", quoted(options.resolvedMethod)),
            ("mode", quoted(options.httpOnly ? "http-only" : "grpc")),
            ("check_payload", "\(options.checkPayload)"),
            ("body", quoted(run.bodies.summary)),
            ("distinct_bodies", "\(run.bodies.bodies.count)"),
            ("connections", "\(options.connections)"),
            ("streams_per_connection", "\(options.streams)"),
            ("load_model", quoted(options.rate == nil ? "closed" : "open")),
            ("target_rate", options.rate.map { number($0, 3) } ?? "null"),
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
            ("target_rate_reached", targetRateReached.map { "\($0)" } ?? "null"),
            ("latency_measured_from", quoted(options.rate == nil ? "request_sent" : "intended_start")),
            ("latency_us", summaryJSON(latency)),
            ("service_time_us", summaryJSON(serviceTime)),
            ("schedule", scheduleJSON),
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
        + "always count; -n: the N requests started after the warm-up. Latency (latency_us): "
        + "counted successes, every one recorded in an HdrHistogram (3 significant digits), up to "
        + "the stream's close: from the request's submission in the closed loop, from its intended "
        + "start (t0 + i/rate) in the open loop, so waiting behind schedule counts (coordinated-"
        + "omission correction); service_time_us is from the submission in both. Open loop: "
        + "target_rate_reached = requests_per_second >= 0.97 x target_rate; schedule.lag_us = how "
        + "far each measured start trailed its intended time, started_late = those more than "
        + "late_threshold_us behind (started_late_by_loop: of them, those that had not waited for "
        + "a stream, i.e. the generator itself was behind), waited_for_stream = those due when "
        + "every stream was busy, not_started = due by the window's end but never started. CPU: "
        + "getrusage user+sys of this process over the measured window; utilisation 1.0 = one "
        + "core busy."

    /// A latency summary as JSON (microseconds), or null when nothing was recorded.
    private func summaryJSON(_ summary: LatencySummary?) -> String {
        guard let summary else { return "null" }
        return "{\"samples\": \(summary.count), \"mean\": \(number(summary.mean, 1)), "
            + "\"p50\": \(number(summary.p50, 1)), \"p90\": \(number(summary.p90, 1)), "
            + "\"p99\": \(number(summary.p99, 1)), \"p99_9\": \(number(summary.p99_9, 1)), "
            + "\"max\": \(number(summary.max, 1)), \"min\": \(number(summary.min, 1))}"
    }

    /// Open loop: how well the generator kept to its timetable in the measured window.
    private var scheduleJSON: String {
        guard let schedule = run.schedule else { return "null" }
        let achieved = schedule.rate > 0 ? requestsPerSecond / schedule.rate : 0
        return "{\"achieved_share\": \(number(achieved, 4)), "
            + "\"scheduled\": \(run.scheduledInWindow), \"started\": \(schedule.started), "
            + "\"started_late\": \(schedule.startedLate), \"started_late_by_loop\": \(schedule.startedLateByLoop), "
            + "\"late_threshold_us\": \(ArrivalSchedule.lateThreshold / 1000), "
            + "\"waited_for_stream\": \(schedule.waitedForStream), "
            + "\"not_started\": \(run.notStartedAtWindowEnd), \"max_backlog\": \(schedule.maxBacklog), "
            + "\"max_lag_us\": \(number(scheduleLag?.max ?? 0, 1)), \"lag_us\": \(summaryJSON(scheduleLag))}"
    }

    /// A few lines for a person, when `--json` is not given.
    var text: String {
        let stats = run.stats
        let model = run.options.rate.map { "open loop at \(number($0, 0)) req/s on " } ?? "closed loop, "
        var lines = [
            "target \(run.targetDescription)\(run.options.path) (\(run.options.httpOnly ? "http-only" : "grpc")), "
                + "\(model)\(run.options.connections) connections x \(run.options.streams) streams; \(run.bodies.summary)",
            "measured \(String(format3: measuredSeconds)) s: \(stats.succeeded) succeeded, \(stats.failed) failed, "
                + "\(Int(requestsPerSecond.rounded())) req/s",
        ]
        if let schedule = run.schedule, let reached = targetRateReached {
            let share = Int((100 * requestsPerSecond / schedule.rate).rounded())
            lines.append(reached
                ? "target rate reached: \(share)% of \(number(schedule.rate, 0)) req/s"
                : "TARGET RATE NOT REACHED: \(Int(requestsPerSecond.rounded())) of \(number(schedule.rate, 0)) req/s (\(share)%)")
        }
        if let latency {
            let from = run.schedule == nil ? "" : " from intended start"
            lines.append("latency\(from) µs: \(summaryText(latency))")
        }
        if run.schedule != nil, let serviceTime {
            lines.append("service time (from send) µs: \(summaryText(serviceTime))")
        }
        if let schedule = run.schedule {
            lines.append("schedule: \(schedule.started) of \(run.scheduledInWindow) due in the window started, "
                + "\(schedule.startedLate) more than \(ArrivalSchedule.lateThreshold / 1_000_000) ms late "
                + "(\(schedule.startedLateByLoop) with a stream free: the generator's loop was behind), "
                + "\(schedule.waitedForStream) waited for a free stream, \(run.notStartedAtWindowEnd) never started; "
                + "max backlog \(schedule.maxBacklog); lag µs: " + (scheduleLag.map(summaryText) ?? "none"))
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

    private func summaryText(_ summary: LatencySummary) -> String {
        "mean \(number(summary.mean, 1)), p50 \(number(summary.p50, 1)), p90 \(number(summary.p90, 1)), "
            + "p99 \(number(summary.p99, 1)), p99.9 \(number(summary.p99_9, 1)), max \(number(summary.max, 1))"
    }

    // MARK: JSON pieces

    private func counts(_ failures: [FailureReason: Int]) -> String {
        "{" + failures.sorted { $0.key.key < $1.key.key }
            .map { "\(quoted($0.key.key)): \($0.value)" }.joined(separator: ", ") + "}"
    }

    /// JSONFields' string and number forms, under the short names this file uses a lot.
    private func quoted(_ text: String) -> String { JSONFields.quoted(text) }

    /// A fixed-point decimal with `places` digits (JSON has no NaN; non-finite becomes 0).
    private func number(_ value: Double, _ places: Int) -> String { JSONFields.fixed(value, places: places) }
}
