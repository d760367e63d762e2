// Helpers for tests that run real loops: ours, and users' tests of their own services.
import Foundation
import OaasLoop
import Synchronization

/// A loop that did not shut down cleanly: a handle leaked or `uv_loop_close` failed.
public struct UncleanShutdown: Error, CustomStringConvertible {
    public let report: ShutdownReport
    public var description: String { "loop did not shut down cleanly: \(report)" }
}

/// Runs `body` against a fresh owned loop, then shuts it down and throws `UncleanShutdown`
/// unless every handle was closed by its owner and `uv_loop_close` returned 0. Each test that
/// uses it is therefore also a leak test.
/// Any thread or task.
public func withOwnedLoop(
    name: String = "test-loop",
    _ body: (EventLoop) async throws -> Void
) async throws {
    let loop = try EventLoop.startOwned(name: name)
    do {
        try await body(loop)
    } catch {
        loop.stop(gracePeriod: .milliseconds(100))
        _ = await loop.terminated()
        throw error
    }
    loop.stop(gracePeriod: .seconds(2))
    let report = await loop.terminated()
    loop.join()
    guard report.isClean else { throw UncleanShutdown(report: report) }
}

/// Runs `setUp` on the loop thread and suspends until it calls `finish` (on any thread).
/// Any thread or task.
///
/// The closures a test hands to handles are created on the loop thread, so they may capture
/// loop-confined objects freely; only the result crosses back.
public func onLoop<T: Sendable>(
    _ loop: EventLoop,
    _ setUp: @escaping @Sendable (_ finish: @escaping @Sendable (T) -> Void) throws -> Void
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let once = ResumeOnce(continuation)
        do {
            try loop.execute {
                do {
                    try setUp { once.resume(.success($0)) }
                } catch {
                    once.resume(.failure(error))
                }
            }
        } catch {
            once.resume(.failure(error))
        }
    }
}

/// Resumes a continuation at most once, whichever path gets there first.
public final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    // @unchecked: `continuation` is only touched under `lock`, an NSLock (pthread-based, so
    // ThreadSanitizer sees it, unlike Synchronization.Mutex on this toolchain).
    private var continuation: CheckedContinuation<T, any Error>?
    private let lock = NSLock()
    public init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }
    public func resume(_ result: Result<T, any Error>) {
        lock.lock()
        let taken = continuation
        continuation = nil
        lock.unlock()
        taken?.resume(with: result)
    }
}

/// A value confined to the loop thread, which a test needs to reach from `@Sendable` closures
/// that all run on that thread. Every access checks the thread.
public final class LoopBox<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched on `loop`'s thread, which each access asserts.
    private let loop: EventLoop
    private var stored: Value
    public init(_ loop: EventLoop, _ value: Value) {
        self.loop = loop
        self.stored = value
    }
    public var value: Value {
        get { loop.preconditionInLoop(); return stored }
        set { loop.preconditionInLoop(); stored = newValue }
    }
}

/// A deterministic byte stream (a random table repeated with a prime period), so a receiver
/// can check every byte it gets, at any offset, with `memcmp` instead of a per-byte loop.
public struct BytePattern: Sendable {
    public static let period = 65_521
    public let table: [UInt8]

    public init() {
        table = (0..<(Self.period * 2)).map { _ in UInt8.random(in: 0...255) }
    }

    /// `count` bytes of the stream starting at `offset`.
    public func bytes(from offset: Int, count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count)
        var position = offset
        while result.count < count {
            let start = position % Self.period
            let take = min(count - result.count, Self.period - start)
            result.append(contentsOf: table[start..<(start + take)])
            position += take
        }
        return result
    }

    /// Whether `received` is exactly the stream's bytes at `offset`.
    public func matches(_ received: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var checked = 0
        return table.withUnsafeBytes { table in
            while checked < received.count {
                let start = (offset + checked) % Self.period
                let take = min(received.count - checked, Self.period - start)
                if memcmp(received.baseAddress! + checked, table.baseAddress! + start, take) != 0 { return false }
                checked += take
            }
            return true
        }
    }
}

/// Sockets of this process with an open descriptor whose local or remote port is `port`
/// (from /proc/net/tcp and tcp6, matched against the inodes behind /proc/self/fd).
public func openSocketsTouching(port: Int) -> Int {
    let fdDirectory = "/proc/self/fd"
    let links = (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? []
    var inodes = Set<String>()
    for entry in links {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(entry)"),
           target.hasPrefix("socket:[") {
            inodes.insert(String(target.dropFirst(8).dropLast()))
        }
    }
    let hexPort = String(format: "%04X", port)
    var count = 0
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        // procfs files report a size of 0, so read until end of file rather than trusting it:
        // with a thousand TIME_WAIT entries the table spans many pages.
        guard let handle = FileHandle(forReadingAtPath: table) else { continue }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        handle.closeFile()
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9 else { continue }
            let local = fields[1].split(separator: ":").last.map(String.init)
            let remote = fields[2].split(separator: ":").last.map(String.init)
            guard local == hexPort || remote == hexPort else { continue }
            if inodes.contains(String(fields[9])) { count += 1 }
        }
    }
    return count
}
