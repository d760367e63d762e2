#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered output: each line reaches the pipe at once, so a test harness reading
/// `LISTENING` or `STATUS_COUNTS` never waits on a buffer.
enum Output {
    static func line(_ text: String) { write(to: 1, text + "\n") }
    static func error(_ text: String) { write(to: 2, "oaas-grpc-echo: " + text + "\n") }

    private static func write(to descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
