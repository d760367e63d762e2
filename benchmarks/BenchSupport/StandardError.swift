#if canImport(Glibc)
import Glibc
#endif

/// Lines on standard error, written at once (no buffering), so that a harness reading them sees
/// each phase change when it happens and can sample CPU counters right then. Any thread.
public enum StandardError {
    public static func line(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
