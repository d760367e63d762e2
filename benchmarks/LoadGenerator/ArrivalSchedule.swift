/// The open loop's timetable (`--rate R`): request i is meant to start at t0 + i/R, whatever
/// the server does. The requests are numbered, not queued: those due but not yet started are
/// simply the numbers from `next` up to the last one whose time has come, so falling behind
/// by a million requests costs no memory.
///
/// Why intended times: a generator that waits for a free stream, or for its own late loop,
/// before it starts a request, and then times the request from that moment, leaves the wait
/// out; and it sends fewer requests exactly while the server is slow, so the slow moments are
/// under-sampled too ("coordinated omission"). Timing each request from the moment the
/// schedule meant it to start counts that wait as latency, as a user arriving at that moment
/// would have seen it. (HdrHistogram's `recordCorrectedValue` estimates the missing samples
/// after the fact; here the intended times are known, so they are used directly.)
///
/// Also keeps the account of how well the generator kept to the schedule in the measured
/// window: the lag of each start behind its intended time, the starts later than
/// `lateThreshold`, those that waited for a free stream, and the largest backlog.
///
/// Loop-confined (hence `@exclusivity(unchecked)`: no access is held across a reentrant call).
final class ArrivalSchedule {
    /// A start more than this behind its intended time is "late". Two periods of the 1 ms
    /// pacing timer: an idle loop wakes up to about a millisecond after a request's time (the
    /// timer's resolution), so only a lag beyond that says the generator fell behind.
    static let lateThreshold: UInt64 = 2_000_000
    /// How often the run's pacing timer starts the requests that have come due.
    static let tickInterval: Duration = .milliseconds(1)

    /// Requests per second, in total.
    let rate: Double
    /// Nanoseconds between two intended starts (a fraction: 3 req/s is 333,333,333.3 ns).
    private let interval: Double
    /// t0: the intended start of request 0.
    private(set) var origin: UInt64 = 0
    /// The number of the next request to start, and its intended start time.
    @exclusivity(unchecked) private(set) var next: UInt64 = 0
    @exclusivity(unchecked) private(set) var nextIntended: UInt64 = 0

    // The measured window's account (reset when the window opens).
    @exclusivity(unchecked) var lag = LatencyHistogram()
    @exclusivity(unchecked) private(set) var started = 0
    @exclusivity(unchecked) private(set) var startedLate = 0
    /// Late starts that had not waited for a stream: the generator's own loop was behind (too
    /// busy, or descheduled), which says the generator, not the server, set the pace.
    @exclusivity(unchecked) private(set) var startedLateByLoop = 0
    @exclusivity(unchecked) private(set) var waitedForStream = 0
    @exclusivity(unchecked) private(set) var maxBacklog: UInt64 = 0
    /// Requests due at or before this moment found every stream busy when the pacing timer
    /// tried to start them; every start up to this intended time waited for a stream.
    @exclusivity(unchecked) private var streamStallMark: UInt64 = 0

    init(rate: Double) {
        self.rate = rate
        self.interval = 1e9 / rate
    }

    /// Starts the timetable: request 0 is due at `now`.
    func begin(at now: UInt64) {
        origin = now
        next = 0
        nextIntended = now
    }

    /// The intended start of request `index`.
    @inline(__always)
    func intendedStart(of index: UInt64) -> UInt64 {
        origin &+ UInt64(Double(index) * interval)
    }

    /// How many requests are due at or before `time` (started or not).
    func dueCount(by time: UInt64) -> UInt64 {
        guard time >= origin else { return 0 }
        return UInt64(Double(time - origin) / interval) + 1
    }

    /// Requests due by `now` that have not started.
    func backlog(at now: UInt64) -> UInt64 {
        let due = dueCount(by: now)
        return due > next ? due - next : 0
    }

    @inline(__always)
    func hasDue(at now: UInt64) -> Bool { nextIntended <= now }

    /// Takes the next request if it is due by `now`: its intended start time; nil if none is.
    @inline(__always)
    func takeIfDue(at now: UInt64) -> UInt64? {
        guard nextIntended <= now else { return nil }
        let intended = nextIntended
        next += 1
        nextIntended = intendedStart(of: next)
        return intended
    }

    // MARK: The account

    /// Clears the account when the measured window opens; the timetable goes on unchanged.
    func resetAccount() {
        lag = LatencyHistogram()
        started = 0
        startedLate = 0
        startedLateByLoop = 0
        waitedForStream = 0
        maxBacklog = 0
    }

    /// A request of the measured window started at `sent`; it was meant for `intended`.
    @inline(__always)
    func noteStarted(intended: UInt64, sent: UInt64) {
        let behind = sent > intended ? sent - intended : 0
        lag.record(behind)
        started += 1
        let waited = intended <= streamStallMark
        if waited { waitedForStream += 1 }
        if behind > Self.lateThreshold {
            startedLate += 1
            if !waited { startedLateByLoop += 1 }
        }
    }

    /// The pacing timer found requests due at `now` and no connection with a free stream.
    func noteNoFreeStream(at now: UInt64) {
        streamStallMark = now
    }

    /// Called at each pacing tick of the measured window, to keep the largest backlog.
    func noteBacklog(at now: UInt64) {
        let backlog = backlog(at: now)
        if backlog > maxBacklog { maxBacklog = backlog }
    }
}
