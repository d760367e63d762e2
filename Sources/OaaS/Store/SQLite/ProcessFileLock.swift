import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file, held while this value lives: one process at a time may
/// serve a store file. The holder writes its pid into the file, so a refused process can name
/// it. The kernel drops the lock when the holder dies, however it dies. Any thread.
final class ProcessFileLock: @unchecked Sendable {
    // @unchecked: the descriptor is written only by `init` and closed once by `deinit`.
    private let descriptor: Int32

    struct Refusal: Error {
        let message: String
    }

    /// - Throws: ``Refusal`` when another process holds the lock or the file cannot be made.
    init(path: String) throws(Refusal) {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Refusal(message: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            Glibc.close(descriptor)
            throw Refusal(message: "another process\(holder.isEmpty ? "" : " (pid \(holder))") is serving this file; one process serves a sqlite store (share objects between processes with nats-kv://)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit {
        Glibc.close(descriptor)
    }
}
