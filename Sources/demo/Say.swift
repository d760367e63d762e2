#if canImport(Glibc)
import Glibc
#endif

/// Prints a line at once, even when standard output is a pipe or a file (where `print` is
/// block-buffered until exit), so `demo --serve` shows its port while it runs.
func say(_ text: String) {
    write(text, to: 1)
}

/// Prints a line on standard error at once.
func complain(_ text: String) {
    write(text, to: 2)
}

private func write(_ text: String, to descriptor: Int32) {
    var bytes = Array((text + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}
