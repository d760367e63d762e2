import Foundation
import Testing

/// Small tmpfs mounts for the tests that need a really full or really read-only file
/// system: permission bits do not stop root, which is what these tests run as, here and in
/// CI. Mounting needs root (or CAP_SYS_ADMIN); where it is not allowed, those tests are
/// reported as skipped with that reason instead of passing without testing anything.
enum Tmpfs {
    /// Whether this process may mount a tmpfs: tried once, on a scratch directory.
    static let isAvailable: Bool = {
        guard getuid() == 0 else { return false }
        let directory = NSTemporaryDirectory() + "oaas-sqlite-mount-probe-\(UUID().uuidString)"
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil
        else { return false }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory]) else { return false }
        return run("/bin/umount", [directory])
    }()

    /// Mounts a tmpfs with `options` (e.g. "size=512k" or "ro,size=1m") on `directory` for
    /// the duration of `body`.
    static func withMount<R>(_ options: String, at directory: String, _ body: () throws -> R) throws -> R {
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", directory]), "mount tmpfs failed")
        defer { #expect(run("/bin/umount", [directory]), "umount \(directory) failed") }
        return try body()
    }

    /// Changes a mounted tmpfs's options, e.g. to "ro".
    static func remount(_ options: String, at directory: String) -> Bool {
        run("/bin/mount", ["-o", "remount,\(options)", directory])
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
