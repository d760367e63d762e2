// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.

/// Writes a gRPC message the way the server writes a response body (the internal
/// `GRPCMessageWriter`).
///
/// Not API. Any thread (a pure function; the buffer belongs to the caller).
@_spi(Benchmarks)
public enum GRPCMessageWriterBenchmarkHook {
    /// Appends the 5-byte prefix and `message` to `body`.
    public static func append(_ message: UnsafeRawBufferPointer, to body: inout [UInt8]) {
        GRPCMessageWriter.append(message, to: &body)
    }
}
