import BenchSupport
import OaasLoop

#if canImport(Glibc)
import Glibc  // SIGINT, SIGTERM, exit()
#endif

/// What `LoadRun.claimRequest` hands a connection for one request to start.
struct RequestClaim {
    /// Started in the measured phase.
    let measured: Bool
    /// When the open loop's schedule meant it to start; 0 in the closed loop ("now").
    let intendedNanoseconds: UInt64
}

/// One load run: opens the connections, moves through the phases, counts what completes and
/// stops the loop when done. Never waits without a bound: connects have a timeout, and once
/// no more requests are started the requests still in flight get `--timeout` seconds before
/// they count as failed.
///
/// Phases: connecting (until every connection is up or failed: nothing is sent, so the clock
/// of the warm-up and of the open loop's schedule does not run while the handshakes do) →
/// warm-up (`--warmup` s, counted apart) → measuring (`--duration` s, or until the `-n`
/// requests have ended) → draining (waiting for what is still in flight) → finished.
///
/// Closed loop: each connection keeps `-m` requests in flight. Open loop (`--rate`): the
/// `ArrivalSchedule` says when each request is due; a 1 ms timer and the end of every loop turn
/// that saw a completion start those due on any connection with a free stream, and a stream
/// that closes takes the next due one at once.
///
/// Loop-confined; the counters the requests touch are `@exclusivity(unchecked)` (no access is
/// held across a reentrant call, so the runtime check would guard nothing).
final class LoadRun: LoopTurnObserver {
    enum Phase { case connecting, warmup, measuring, draining, finished }

    let loop: EventLoop
    let options: LoadOptions
    /// The servers, one per `--port`; connection i goes to `addresses[i % count]`.
    let addresses: [SocketAddress]
    let bodies: RequestBodies
    let stats: LoadStats
    @exclusivity(unchecked) private(set) var phase = Phase.connecting
    private(set) var connections: [LoadConnection] = []
    /// The open loop's timetable and its account; nil in the closed loop.
    let schedule: ArrivalSchedule?
    /// The connection the pacing timer offers the next due request to.
    @exclusivity(unchecked) private var paceCursor = 0
    /// A completion asked for a pacing pass at the end of this loop turn.
    @exclusivity(unchecked) private var paceAtTurnEnd = false

    // Clocks of the run and of the measured window (nanoseconds, CPU seconds).
    private(set) var runStart: UInt64 = 0
    /// When every connection had settled and the warm-up (or the window) began.
    private(set) var phasesStart: UInt64 = 0
    private(set) var windowStart: UInt64 = 0
    private(set) var windowEnd: UInt64 = 0
    private(set) var cpuAtWindowStart = 0.0
    private(set) var cpuAtWindowEnd = 0.0

    /// Open loop: the requests due inside the measured window (`-n`: the N), and those of them
    /// (or of earlier ones) still due but not started when it closed (`-n`: those of the N never
    /// started, when the run ended early).
    private(set) var scheduledInWindow: UInt64 = 0
    private(set) var notStartedAtWindowEnd: UInt64 = 0

    /// `-n`: measured requests still to start, and those started but not yet ended.
    @exclusivity(unchecked) private(set) var countBudget = 0
    @exclusivity(unchecked) private(set) var measuredOutstanding = 0
    @exclusivity(unchecked) private(set) var totalInFlight = 0

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
    /// When the last progress line was printed (see LoadRun+Progress.swift).
    var lastTick: UInt64 = 0
    private let onFinished: () -> Void

    init(loop: EventLoop, options: LoadOptions, addresses: [SocketAddress], bodies: RequestBodies,
         onFinished: @escaping () -> Void) {
        self.loop = loop
        self.options = options
        self.addresses = addresses
        self.bodies = bodies
        self.stats = LoadStats()
        self.schedule = options.rate.map(ArrivalSchedule.init(rate:))
        if case .duration = options.stop { isDurationMode = true } else { isDurationMode = false }
        self.onFinished = onFinished
    }

    /// The targets as the report names them: `host:port`, comma-separated when there are several.
    var targetDescription: String { addresses.map { "\($0)" }.joined(separator: ",") }

    /// `--duration` (true) or `-n` (false); stored, as it is read on every request.
    let isDurationMode: Bool

    // MARK: Phases

    func start() {
        runStart = BenchClock.nanoseconds()
        lastTick = runStart
        for index in 0..<options.connections {
            let connection = LoadConnection(run: self, address: addresses[index % addresses.count])
            connections.append(connection)
        }
        if options.progress {
            let progress = LoopTimer(loop: loop)
            progress.start(after: .seconds(1), repeating: .seconds(1)) { [unowned self] in tick() }
            timers.append(progress)
        }
        watchSignals()
        for connection in connections where phase != .finished { connection.connect() }
    }

    /// Every connection is up or has failed: the warm-up (or the window) begins, and with it
    /// the open loop's schedule.
    private func beginIfSettled() {
        guard phase == .connecting, connected + connectFailed == connections.count else { return }
        phasesStart = BenchClock.nanoseconds()
        phase = .warmup
        if let schedule {
            schedule.begin(at: phasesStart)
            let pacer = LoopTimer(loop: loop)
            pacer.start(after: ArrivalSchedule.tickInterval, repeating: ArrivalSchedule.tickInterval) { [unowned self] in
                pace()
            }
            timers.append(pacer)
        }
        if options.warmupSeconds > 0 {
            note("warm-up for \(options.warmupSeconds) s")
            timers.append(loop.schedule(after: .seconds(options.warmupSeconds)) { [unowned self] in beginMeasuring() })
            startRequests()
        } else {
            beginMeasuring()
        }
    }

    /// Starts what may start now: every free stream (closed loop), or the due requests.
    private func startRequests() {
        if schedule != nil {
            pace()
        } else {
            for connection in connections { connection.fill() }
        }
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
                if phase == .connecting || phase == .warmup { finish() } else { endWindow() }
            }
        }
    }

    private func beginMeasuring() {
        guard phase == .warmup else { return }
        phase = .measuring
        windowStart = BenchClock.nanoseconds()
        cpuAtWindowStart = BenchClock.processCPUSeconds()
        schedule?.resetAccount()
        note("phase=measuring")
        switch options.stop {
        case .duration(let seconds):
            timers.append(loop.schedule(after: .seconds(seconds)) { [unowned self] in endWindow() })
        case .count(let n):
            countBudget = n
        }
        // With no warm-up the connections have started nothing yet; in `-n` mode they are idle
        // if the warm-up spent nothing. Wake them.
        startRequests()
    }

    /// The measured window is over: no more requests start; wait for those in flight.
    private func endWindow() {
        guard phase == .measuring else { return }
        closeWindowClocks()
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
        if phase == .measuring || phase == .warmup || phase == .connecting {
            // Ended early (every connection gone, or a signal before the window's end): the
            // window closes now.
            endedEarly = true
            if windowStart == 0 {
                windowStart = BenchClock.nanoseconds()
                cpuAtWindowStart = BenchClock.processCPUSeconds()
            }
            closeWindowClocks()
        }
        phase = .finished
        for timer in timers { timer.close() }
        timers = []
        for connection in connections { connection.close() }
        onFinished()
    }

    /// Reads the clocks at the measured window's end, and the open loop's schedule against it.
    private func closeWindowClocks() {
        windowEnd = BenchClock.nanoseconds()
        cpuAtWindowEnd = BenchClock.processCPUSeconds()
        guard let schedule, phasesStart > 0, windowStart >= phasesStart else { return }
        switch options.stop {
        case .duration:
            scheduledInWindow = schedule.dueCount(by: windowEnd) - schedule.dueCount(by: windowStart)
            notStartedAtWindowEnd = schedule.backlog(at: windowEnd)
        case .count(let n):
            // The window ends once the N have ended (or early): those never claimed are the
            // ones not started.
            scheduledInWindow = UInt64(n)
            notStartedAtWindowEnd = UInt64(countBudget)
        }
    }

    // MARK: Open-loop pacing

    /// Whether requests may start in this phase (and, with `-n`, whether any are left).
    private var issuing: Bool {
        phase == .warmup || (phase == .measuring && (isDurationMode || countBudget > 0))
    }

    /// A pacing pass (the 1 ms timer's tick, the end of a loop turn that saw a completion, the
    /// start of a phase): starts every request that has come due, one per connection in turn,
    /// until none is due or no connection has a free stream. Those left over wait for the next
    /// pass or for a stream to close, and their wait counts in their latency.
    private func pace() {
        guard let schedule, issuing, !connections.isEmpty else { return }
        var now = BenchClock.nanoseconds()
        var refused = 0
        while issuing, schedule.hasDue(at: now) {
            let connection = connections[paceCursor]
            paceCursor = paceCursor + 1 == connections.count ? 0 : paceCursor + 1
            if connection.startOne() {
                refused = 0
            } else {
                refused += 1
                if refused == connections.count {
                    schedule.noteNoFreeStream(at: now)
                    break
                }
            }
            now = BenchClock.nanoseconds()
        }
        if phase == .measuring { schedule.noteBacklog(at: now) }
    }

    /// A pacing pass at the end of each loop turn that saw a completion: under load turns come
    /// every few tens of microseconds, so due requests start that much after their time rather
    /// than at the next millisecond tick, and on whichever connection has a free stream (the
    /// completing connection refills itself at once, but only itself).
    func loopTurnWillEnd() {
        paceAtTurnEnd = false
        pace()
    }

    // MARK: Requests (called by the connections)

    /// A request for a connection to start now, if there is one: nil when the run starts no
    /// more (or, in the open loop, none is due yet).
    @inline(__always)
    func claimRequest() -> RequestClaim? {
        let measured: Bool
        switch phase {
        case .warmup:
            measured = false
        case .measuring:
            if !isDurationMode, countBudget == 0 { return nil }
            measured = true
        case .connecting, .draining, .finished:
            return nil
        }
        var intended: UInt64 = 0
        if let schedule {
            guard let due = schedule.takeIfDue(at: BenchClock.nanoseconds()) else { return nil }
            intended = due
        }
        if measured, !isDurationMode {
            countBudget -= 1
            measuredOutstanding += 1
            if countBudget == 0 { armFinalTimeout() }
        }
        return RequestClaim(measured: measured, intendedNanoseconds: intended)
    }

    @inline(__always)
    func requestStarted(_ request: InFlightRequest) {
        totalInFlight += 1
        if let schedule, request.startedMeasured {
            schedule.noteStarted(intended: request.intendedNanoseconds, sent: request.startNanoseconds)
        }
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
        if schedule != nil, !paceAtTurnEnd {
            paceAtTurnEnd = true
            loop.requestTurnEnd(self)
        }
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
                // From the intended start: see `ArrivalSchedule` for why. In the closed loop the
                // intended start is the submission.
                let now = BenchClock.nanoseconds()
                stats.latency.record(now &- request.intendedNanoseconds)
                if schedule != nil { stats.serviceTime.record(now &- request.startNanoseconds) }
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
        beginIfSettled()
    }

    func connectionFailedToConnect(_ connection: LoadConnection, reason: String) {
        connectFailed += 1
        recordError("connect: \(reason)")
        endIfNoConnectionLeft()
        beginIfSettled()
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

    // MARK: Notes

    /// Phase changes go to stderr even with `--quiet`: a harness samples the server's CPU
    /// time when it reads `phase=measuring` and `phase=draining`.
    func note(_ text: String) {
        let seconds = Double(BenchClock.nanoseconds() &- runStart) / 1e9
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
