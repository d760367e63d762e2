import BenchSupport
import OaasBus
import OaasLoop

#if canImport(Glibc)
import Glibc  // SIGINT, SIGTERM, exit()
#endif

/// One load run: connects, keeps `callers` requests outstanding through the warm-up and the
/// measured window, waits for the last ones, closes the client and stops the loop.
///
/// Closed loop: each caller sends its next request when its previous one has ended, so the
/// rate is what the responder (and the server between) sustains with that many outstanding.
/// Never waits without bound: each request has its own timeout, and the drain has one more.
///
/// Loop-confined (hence `@exclusivity(unchecked)` on what every request touches: no access is
/// held across a reentrant call).
final class NATSLoadRun {
    let loop: EventLoop
    let client: NATSClient
    let options: NATSLoadOptions
    let requests: InvocationRequests
    @exclusivity(unchecked) var tally: RunTally
    @exclusivity(unchecked) private(set) var phase = RunPhase.warmup
    private var finished = false
    private let timeout: Duration
    private let isDurationMode: Bool

    /// `-n`: measured requests still to start, and those started but not yet ended.
    @exclusivity(unchecked) private var countBudget = 0
    @exclusivity(unchecked) private var measuredOutstanding = 0
    @exclusivity(unchecked) private var inFlight = 0
    /// Set while `client.request` runs: a completion that comes then failed at once (closed,
    /// not connected), and its caller retries after a pause instead of recursing.
    @exclusivity(unchecked) private var issuing = false
    @exclusivity(unchecked) private var repliesSeen = 0
    @exclusivity(unchecked) private(set) var checked = 0
    @exclusivity(unchecked) private var completedSinceTick = 0

    // The measured window (monotonic nanoseconds, process CPU seconds).
    private(set) var runStart: UInt64 = 0
    private(set) var windowStart: UInt64 = 0
    private(set) var windowEnd: UInt64 = 0
    private(set) var cpuAtWindowStart = 0.0
    private(set) var cpuAtWindowEnd = 0.0
    /// Why the run could not start (no connection), or ended early.
    private(set) var connectError: String?
    private(set) var endedEarly = false
    /// The client's counters as the run finished (read on the loop, before the client closes).
    private(set) var statistics = NATSClientStatistics()

    private var timers: [LoopTimer] = []
    private var lastTick: UInt64 = 0
    private let onFinished: () -> Void

    init(loop: EventLoop, client: NATSClient, options: NATSLoadOptions, requests: InvocationRequests,
         onFinished: @escaping () -> Void) {
        self.loop = loop
        self.client = client
        self.options = options
        self.requests = requests
        self.onFinished = onFinished
        timeout = .seconds(options.timeoutSeconds)
        switch options.stop {
        case .duration(let seconds):
            isDurationMode = true
            tally = RunTally(expectedSamples: min(seconds * 200_000, 1 << 25))
        case .count(let n):
            isDurationMode = false
            tally = RunTally(expectedSamples: n)
        }
    }

    // MARK: Phases

    func start() {
        runStart = BenchClock.nanoseconds()
        lastTick = runStart
        watchSignals()
        client.connect { [unowned self] result in
            switch result {
            case .success:
                note("connected to \(client.connectedServer?.address ?? options.url)")
                beginRun()
            case .failure(let error):
                connectError = "\(error)"
                note("could not connect: \(error)")
                finish()
            }
        }
    }

    private func beginRun() {
        guard !finished else { return }
        if options.progress {
            let progress = LoopTimer(loop: loop)
            progress.start(after: .seconds(1), repeating: .seconds(1)) { [unowned self] in tick() }
            timers.append(progress)
        }
        if options.warmupSeconds > 0 {
            note("warm-up for \(options.warmupSeconds) s")
            timers.append(loop.schedule(after: .seconds(options.warmupSeconds)) { [unowned self] in beginMeasuring() })
        } else {
            beginMeasuring()
        }
        for _ in 0..<options.callers where phase != .draining { issue() }
    }

    /// SIGINT / SIGTERM end the window now and still report; a second signal exits at once.
    private func watchSignals() {
        var received = 0
        for number in [SIGINT, SIGTERM] {
            _ = try? LoopSignal(loop: loop, signal: number) { [unowned self] _ in
                received += 1
                guard received == 1 else { exit(130) }
                note("interrupted: ending the run now")
                endedEarly = true
                if phase == .warmup { beginMeasuring() }
                endWindow()
            }
        }
    }

    private func beginMeasuring() {
        guard phase == .warmup, !finished else { return }
        phase = .measuring
        windowStart = BenchClock.nanoseconds()
        cpuAtWindowStart = BenchClock.processCPUSeconds()
        // The harness samples the other processes' CPU counters when it reads this line.
        note("phase=measuring")
        switch options.stop {
        case .duration(let seconds):
            timers.append(loop.schedule(after: .seconds(seconds)) { [unowned self] in endWindow() })
        case .count(let n):
            countBudget = n
        }
    }

    /// No more requests start; those in flight end by reply or by their own timeout.
    private func endWindow() {
        guard phase == .measuring else { return }
        windowEnd = BenchClock.nanoseconds()
        cpuAtWindowEnd = BenchClock.processCPUSeconds()
        phase = .draining
        note("phase=draining in_flight=\(inFlight)")
        if inFlight == 0 { return finish() }
        // Every request has its own timeout; this only guards against a completion that never comes.
        timers.append(loop.schedule(after: timeout + .seconds(2)) { [unowned self] in
            note("\(inFlight) request(s) never completed")
            tally.failures["never_completed", default: 0] += inFlight
            finish()
        })
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        if phase != .draining {
            // Ended before the window closed (no connection): the window closes now.
            if phase == .warmup {
                windowStart = BenchClock.nanoseconds()
                cpuAtWindowStart = BenchClock.processCPUSeconds()
            }
            windowEnd = BenchClock.nanoseconds()
            cpuAtWindowEnd = BenchClock.processCPUSeconds()
            phase = .draining
            endedEarly = true
        }
        for timer in timers { timer.close() }
        timers = []
        statistics = client.statistics
        client.close { [onFinished] in onFinished() }
    }

    // MARK: Requests

    /// Whether one more request may start, and whether it is a measured one (`-n`); `nil`: stop.
    @inline(__always)
    private func claim() -> Bool? {
        switch phase {
        case .warmup:
            return false
        case .measuring:
            if isDurationMode { return true }
            guard countBudget > 0 else { return nil }
            countBudget -= 1
            measuredOutstanding += 1
            return true
        case .draining:
            return nil
        }
    }

    /// Sends one caller's next request.
    private func issue() {
        guard !finished, let measured = claim() else { return }
        let index = requests.nextIndex()
        let started = BenchClock.nanoseconds()
        inFlight += 1
        issuing = true
        client.request(key: requests.keys[index], payload: requests.payloads[index], timeout: timeout) { [unowned self] result in
            completed(index: index, started: started, measured: measured, result: result)
        }
        issuing = false
    }

    private func completed(index: Int, started: UInt64, measured: Bool, result: Result<[UInt8], BusError>) {
        let ended = BenchClock.nanoseconds()
        inFlight -= 1
        completedSinceTick += 1
        // Which tally a completion belongs to; see RunTally for the rules. `-n` counts exactly
        // the requests started after the warm-up, whenever they end.
        let bucket: RunPhase = isDurationMode ? phase : (measured ? .measuring : .warmup)
        let immediate = issuing
        switch result {
        case .success(let reply):
            repliesSeen += 1
            if let check = options.check, repliesSeen % options.checkEvery == 0 {
                checked += 1
                if let problem = ReplyCheck.problem(with: reply, to: requests.payloads[index], check: check) {
                    tally.failed(in: bucket, reason: problem)
                    break
                }
            }
            tally.succeeded(in: bucket, nanoseconds: ended &- started)
        case .failure(let error):
            tally.failed(in: bucket, reason: Self.reason(error))
        }
        if measured, !isDurationMode {
            measuredOutstanding -= 1
            if countBudget == 0, measuredOutstanding == 0 { endWindow() }
        }
        if phase == .draining {
            if inFlight == 0 { finish() }
            return
        }
        if immediate {
            // The request failed before it was sent (closed, reconnect buffer full): retrying
            // at once would spin; the next try waits a little.
            timers.append(loop.schedule(after: .milliseconds(10)) { [unowned self] in issue() })
        } else {
            issue()
        }
    }

    /// A short, stable key for a failure, for the report's counts.
    static func reason(_ error: BusError) -> String {
        switch error.kind {
        case .timedOut: "timeout"
        case .noResponders: "no_responders"
        case .payloadTooLarge: "payload_too_large"
        case .connectionFailed: "connection_failed"
        case .authorizationFailed: "authorization_failed"
        case .protocolError: "protocol_error"
        case .closed: "closed"
        case .invalidKey: "invalid_key"
        }
    }

    // MARK: Progress

    private func tick() {
        let now = BenchClock.nanoseconds()
        let elapsed = Double(now &- lastTick) / 1e9
        let rate = elapsed > 0 ? Double(completedSinceTick) / elapsed : 0
        lastTick = now
        completedSinceTick = 0
        let seconds = Int((Double(now &- runStart) / 1e9).rounded())
        let label = phase == .warmup ? " (warm-up)" : phase == .draining ? " (draining)" : ""
        StandardError.line("t=\(seconds)s rate=\(Int(rate))/s failed=\(tally.failed + tally.warmupFailed)\(label)")
    }

    /// Phase changes go to stderr even with `--quiet`: the harness samples the CPU counters of
    /// nats-server and the responder when it reads `phase=measuring` and `phase=draining`.
    private func note(_ text: String) {
        let seconds = Double(BenchClock.nanoseconds() &- runStart) / 1e9
        StandardError.line("nats-load: t=\(JSONFields.fixed(seconds, places: 3))s \(text)")
    }
}
