#if canImport(Glibc)
import Glibc
#endif

/// The clocks a load generator reads: monotonic time for latencies and phases, and CPU time,
/// so that a report can show whether the generator (or one thread of the process under test)
/// was the bottleneck. Any thread.
public enum BenchClock {
    /// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`, served by the vDSO: no system call,
    /// so two reads per request cost tens of nanoseconds).
    @inlinable @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// User plus system CPU time of this whole process (every thread), in seconds.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// CPU seconds (user + system) of this process's threads whose name is exactly `name`
    /// (Linux truncates thread names to 15 bytes), read from `/proc/self/task/*/stat`; `nil`
    /// when no such thread exists or /proc cannot be read. Used to tell whether one event-loop
    /// thread was saturated while the process as a whole was not.
    public static func threadCPUSeconds(named name: String) -> Double? {
        guard let directory = opendir("/proc/self/task") else { return nil }
        defer { closedir(directory) }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total: Double?
        while let entry = readdir(directory) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let first = tid.utf8.first, first >= 0x30, first <= 0x39 else { continue }
            guard let comm = ProcFile.read("/proc/self/task/\(tid)/comm"),
                  comm.split(separator: "\n").first.map(String.init) == name,
                  let stat = ProcFile.read("/proc/self/task/\(tid)/stat"),
                  let ticks = ProcFile.cpuTicks(fromStat: stat) else { continue }
            total = (total ?? 0) + Double(ticks) / ticksPerSecond
        }
        return total
    }
}

/// Small `/proc` files, read without Foundation. Any thread.
enum ProcFile {
    /// The whole file as text (at most 4 KiB: `/proc/*/stat` and `comm` are one short line).
    static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// utime + stime (fields 14 and 15 of stat(5)) in clock ticks. The fields are counted
    /// after the last ')', since the thread name in parentheses may itself hold spaces.
    static func cpuTicks(fromStat stat: String) -> Int? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ')': field 3 (state) is fields[0], so field N is fields[N - 3].
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }
}
