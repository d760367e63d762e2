#if canImport(Glibc)
import Glibc
#endif

/// Lines written straight to the file descriptor, unbuffered: under the harness stdout is a pipe,
/// where a buffered `LISTENING` line would wait for the buffer to fill. (C's `stdout` and
/// `stderr` globals are also not usable from Swift 6 code without an unsafe escape.)
enum Console {
    static func line(_ text: String) { write(text + "\n", to: STDOUT_FILENO) }
    static func error(_ text: String) { write("grpc-swift-reference: " + text + "\n", to: STDERR_FILENO) }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                // A closed or failing pipe: nobody is reading, so there is no one to tell.
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
