// The per-second progress line on stderr (`--progress`, or by default on a terminal), e.g.
//
//   t=5s measured 3/10 s: 48210 req/s, 0 failed
//   t=5s measured 3/10 s: 30012 req/s, 0 failed; target 30000/s, on schedule
//   t=5s measured 3/10 s: 48210 req/s, 0 failed; target 60000/s, behind by 812 ms (48731 due, not started)
//   t=9s measured 12000/20000 requests: 45102 req/s, 0 failed
//
// Every line starts with "t=" and never contains "phase=": a harness reading stderr watches
// for `phase=measuring` / `phase=draining` (the notes) to sample CPU times, and can tell
// progress lines apart by their prefix. Nothing of this goes to stdout, where the report is.
import BenchSupport

extension LoadRun {
    /// The progress timer's tick (once a second).
    func tick() {
        let now = BenchClock.nanoseconds()
        let sinceTick = Double(now &- lastTick) / 1e9
        let rate = sinceTick > 0 ? Double(stats.completedSinceTick) / sinceTick : 0
        lastTick = now
        stats.completedSinceTick = 0
        let seconds = Int((Double(now &- runStart) / 1e9).rounded())
        var line = "t=\(seconds)s \(whereWeAre(now: now))"
        if phase == .warmup || phase == .measuring || phase == .draining {
            line += ": \(Int(rate.rounded())) req/s, \(stats.failed + stats.warmupFailed) failed"
        }
        if let schedule, phase == .warmup || phase == .measuring {
            line += "; target \(Self.rateText(schedule.rate))/s"
            // Within the late threshold is the pacing's own slack (a timer tick), not lag.
            let behind = now > schedule.nextIntended ? now - schedule.nextIntended : 0
            if behind > ArrivalSchedule.lateThreshold {
                line += ", behind by \(Self.millisecondsText(behind)) (\(schedule.backlog(at: now)) due, not started)"
            } else {
                line += ", on schedule"
            }
        }
        StandardError.line(line)
    }

    /// The phase and how far into it the run is.
    private func whereWeAre(now: UInt64) -> String {
        switch phase {
        case .connecting:
            return "connecting: \(connected) of \(connections.count) up"
        case .warmup:
            let elapsed = Double(now &- phasesStart) / 1e9
            return "warm-up \(Int(elapsed.rounded()))/\(options.warmupSeconds) s"
        case .measuring:
            switch options.stop {
            case .duration(let seconds):
                let elapsed = Double(now &- windowStart) / 1e9
                return "measured \(Int(elapsed.rounded()))/\(seconds) s"
            case .count(let n):
                let ended = n - countBudget - measuredOutstanding
                return "measured \(ended)/\(n) requests"
            }
        case .draining:
            return "draining, \(totalInFlight) in flight"
        case .finished:
            return "finished"
        }
    }

    private static func rateText(_ rate: Double) -> String {
        rate == rate.rounded() ? "\(Int(rate))" : String(format3: rate)
    }

    private static func millisecondsText(_ nanoseconds: UInt64) -> String {
        nanoseconds >= 10_000_000 ? "\(nanoseconds / 1_000_000) ms" : "\(String(format3: Double(nanoseconds) / 1e6)) ms"
    }
}
