import OaasLoop

#if canImport(Glibc)
import Glibc  // SIGINT, SIGTERM, exit()
#endif

/// One load run: opens the connections, moves through the phases, counts what completes and
/// stops the loop when done. Never waits without a bound: connects have a timeout, and once
/// no more requests are started the requests still in flight get `--timeout` seconds before
/// they count as failed.
///
/// Phases: warm-up (`--warmup` s, counted apart) → measuring (`--duration` s, or until the
/// `-n` requests have ended) → draining (waiting for what is still in flight) → finished.
///
/// Loop-confined; the counters the requests touch are `@exclusivity(unchecked)` (no access is
/// held across a reentrant call, so the runtime check would guard nothing).
final class LoadRun {
    enum Phase { case warmup, measuring, draining, finished }

    let loop: EventLoop
    let options: LoadOptions
    let address: SocketAddress
    let bodies: RequestBodies
    let stats: LoadStats
    @exclusivity(unchecked) private(set) var phase = Phase.warmup
    private var connections: [LoadConnection] = []

    // Clocks of the measured window (nanoseconds, CPU seconds).
    private(set) var runStart: UInt64 = 0
    private(set) var windowStart: UInt64 = 0
    private(set) var windowEnd: UInt64 = 0
    private(set) var cpuAtWindowStart = 0.0
    private(set) var cpuAtWindowEnd = 0.0

    /// `-n`: measured requests still to start, and those started but not yet ended.
    @exclusivity(unchecked) private var countBudget = 0
    @exclusivity(unchecked) private var measuredOutstanding = 0
    @exclusivity(unchecked) private var totalInFlight = 0

    // Connection tallies for the report.
    private(set) var connected = 0
    private(set) var connectFailed = 0
    private(set) var lost = 0
    private(set) var goAways = 0
    private(set) var connectionErrors: [String] = []
    /// The run ended before its warm-up and window were over: no connection was left, or a
    /// signal cut it short.
    private(set) var endedEarly = false

    private var timers: [LoopTimer] = []
    private var finalTimer: LoopTimer?
    private var lastTick: UInt64 = 0
    private let onFinished: () -> Void

    init(loop: EventLoop, options: LoadOptions, address: SocketAddress, bodies: RequestBodies,
         onFinished: @escaping () -> Void) {
        self.loop = loop
        self.options = options
        self.address = address
        self.bodies = bodies
        let expected: Int
        switch options.stop {
        case .count(let n): expected = n
        case .duration(let seconds): expected = seconds * 400_000  // a generous guess at the rate
        }
        self.stats = LoadStats(expectedRequests: expected)
        if case .duration = options.stop { isDurationMode = true } else { isDurationMode = false }
        self.onFinished = onFinished
    }

    /// `--duration` (true) or `-n` (false); stored, as it is read on every request.
    let isDurationMode: Bool

    // MARK: Phases

    func start() {
        runStart = ProcessClock.nanoseconds()
        lastTick = runStart
        for _ in 0..<options.connections {
            let connection = LoadConnection(run: self)
            connections.append(connection)
        }
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
        watchSignals()
        for connection in connections where phase != .finished { connection.connect() }
    }

    /// SIGINT / SIGTERM end the window now and still report (the requests in flight get the
    /// final timeout, as at a normal end); a second signal exits at once.
    private func watchSignals() {
        var received = 0
        for number in [SIGINT, SIGTERM] {
            // Not keeping the loop alive: the loop closes the watchers at the end of shutdown.
            _ = try? LoopSignal(loop: loop, signal: number) { [unowned self] _ in
                received += 1
                guard received == 1 else { exit(130) }
                note("interrupted: ending the run now")
                endedEarly = true
                if phase == .warmup { finish() } else { endWindow() }
            }
        }
    }

    private func beginMeasuring() {
        guard phase == .warmup else { return }
        phase = .measuring
        windowStart = ProcessClock.nanoseconds()
        cpuAtWindowStart = ProcessClock.cpuSeconds()
        note("phase=measuring")
        switch options.stop {
        case .duration(let seconds):
            timers.append(loop.schedule(after: .seconds(seconds)) { [unowned self] in endWindow() })
        case .count(let n):
            countBudget = n
        }
        // In `-n` mode the connections are idle if the warm-up spent nothing; wake them.
        for connection in connections { connection.fill() }
    }

    /// The measured window is over: no more requests start; wait for those in flight.
    private func endWindow() {
        guard phase == .measuring else { return }
        windowEnd = ProcessClock.nanoseconds()
        cpuAtWindowEnd = ProcessClock.cpuSeconds()
        phase = .draining
        note("phase=draining in_flight=\(totalInFlight)")
        if totalInFlight == 0 || liveConnections == 0 { return finish() }
        armFinalTimeout()
    }

    /// Bounds the wait for the requests in flight once no more are started.
    private func armFinalTimeout() {
        guard finalTimer == nil else { return }
        let timer = loop.schedule(after: .seconds(options.finalTimeoutSeconds)) { [unowned self] in
            note("timeout: \(totalInFlight) request(s) still in flight after \(options.finalTimeoutSeconds) s count as failed")
            for connection in connections { connection.abandonInFlight(as: .timeout) }
            endWindow()
            finish()
        }
        finalTimer = timer
        timers.append(timer)
    }

    private func finish() {
        guard phase != .finished else { return }
        if phase == .measuring || phase == .warmup {
            // Ended early (every connection gone, or a signal in the warm-up): the window
            // closes now.
            endedEarly = true
            if windowStart == 0 {
                windowStart = ProcessClock.nanoseconds()
                cpuAtWindowStart = ProcessClock.cpuSeconds()
            }
            windowEnd = ProcessClock.nanoseconds()
            cpuAtWindowEnd = ProcessClock.cpuSeconds()
        }
        phase = .finished
        for timer in timers { timer.close() }
        timers = []
        for connection in connections { connection.close() }
        onFinished()
    }

    // MARK: Requests (called by the connections)

    /// Whether a connection may start one more request; if so, whether it is a measured one
    /// (nil: stop starting requests).
    @inline(__always)
    func claimRequest() -> Bool? {
        switch phase {
        case .warmup:
            return false
        case .measuring:
            if isDurationMode { return true }
            guard countBudget > 0 else { return nil }
            countBudget -= 1
            measuredOutstanding += 1
            if countBudget == 0 { armFinalTimeout() }
            return true
        case .draining, .finished:
            return nil
        }
    }

    @inline(__always)
    func requestStarted() {
        totalInFlight += 1
    }

    /// A claimed request whose stream the session refused to open.
    func requestCouldNotStart(measured: Bool) {
        stats.countFailure(.connectionError, warmup: phase == .warmup && !measured)
        if measured, !isDurationMode { measuredEnded() }
    }

    /// A request ended: `failure` nil is a success.
    func requestFinished(_ request: InFlightRequest, failure: FailureReason?) {
        totalInFlight -= 1
        stats.completedSinceTick += 1
        // Which tally this completion belongs to; see `LoadStats` for the rules.
        let counted: Bool
        if isDurationMode {
            counted = failure == nil ? phase == .measuring : phase != .warmup
        } else {
            counted = request.startedMeasured
        }
        if counted {
            if let failure {
                stats.countFailure(failure, warmup: false)
            } else {
                stats.succeeded += 1
                stats.latencies.append(ProcessClock.nanoseconds() &- request.startNanoseconds)
            }
        } else if let failure {
            stats.countFailure(failure, warmup: true)
        } else if phase == .warmup || (!isDurationMode && !request.startedMeasured) {
            stats.warmupSucceeded += 1
        } else {
            stats.afterWindowSucceeded += 1
        }
        if request.startedMeasured, !isDurationMode { measuredEnded() }
        if phase == .draining, totalInFlight == 0 { finish() }
    }

    private func measuredEnded() {
        measuredOutstanding -= 1
        if countBudget == 0, measuredOutstanding == 0 { endWindow() }
    }

    // MARK: Connections (called by the connections)

    private var liveConnections: Int { connections.reduce(0) { $0 + ($1.isClosed ? 0 : 1) } }

    func connectionReady(_ connection: LoadConnection) {
        connected += 1
    }

    func connectionFailedToConnect(_ connection: LoadConnection, reason: String) {
        connectFailed += 1
        recordError("connect: \(reason)")
        endIfNoConnectionLeft()
    }

    func connectionGotGoAway(_ connection: LoadConnection, reason: String) {
        goAways += 1
        if phase != .finished { recordError(reason) }
    }

    func connectionClosed(_ connection: LoadConnection, expected: Bool, reason: String) {
        if !expected, phase != .finished {
            lost += 1
            recordError("connection lost: \(reason)")
        }
        endIfNoConnectionLeft()
    }

    /// With every connection gone nothing can happen any more: end now rather than wait out
    /// the warm-up and the window.
    private func endIfNoConnectionLeft() {
        guard phase != .finished, liveConnections == 0 else { return }
        note("no connection left")
        finish()
    }

    private func recordError(_ text: String) {
        // Keep a few distinct messages; 64 identical "connection refused" lines tell no more.
        if connectionErrors.count < 8, !connectionErrors.contains(text) { connectionErrors.append(text) }
    }

    // MARK: Progress

    private func tick() {
        let now = ProcessClock.nanoseconds()
        let elapsed = Double(now &- lastTick) / 1e9
        let rate = elapsed > 0 ? Double(stats.completedSinceTick) / elapsed : 0
        lastTick = now
        stats.completedSinceTick = 0
        let seconds = Int((Double(now &- runStart) / 1e9).rounded())
        let label = phase == .warmup ? " (warm-up)" : phase == .draining ? " (draining)" : ""
        StandardError.line("t=\(seconds)s rate=\(Int(rate))/s failed=\(stats.failed + stats.warmupFailed)\(label)")
    }

    /// Phase changes go to stderr even with `--quiet`: a harness samples the server's CPU
    /// time when it reads `phase=measuring` and `phase=draining`.
    private func note(_ text: String) {
        let seconds = Double(ProcessClock.nanoseconds() &- runStart) / 1e9
        StandardError.line("oaas-load: t=\(String(format3: seconds))s \(text)")
    }
}

extension String {
    /// A number with three decimals, without Foundation's `String(format:)`.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(abs(thousandths) % 1000)
        self = "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
