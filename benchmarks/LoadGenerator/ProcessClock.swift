#if canImport(Glibc)
import Glibc
#endif

/// The clocks the generator reads: a monotonic one for latencies and phases, and the process's
/// CPU time, to show whether the generator itself was the bottleneck. Any thread.
enum ProcessClock {
    /// Monotonic time in nanoseconds. `CLOCK_MONOTONIC` is served by the vDSO on Linux (no
    /// system call), so reading it twice per request costs tens of nanoseconds.
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// User plus system CPU time of the whole process, in seconds (`getrusage`).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// Lines on stderr, unbuffered, so a harness reading them (progress, phase changes) sees each
/// one when it happens. Any thread.
enum StandardError {
    static func line(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
