// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.

/// Reads length-prefixed gRPC messages from body chunks exactly as a server call does (the
/// internal `GRPCMessageReader`), so the micro-benchmarks measure the real code and not a copy.
///
/// Not API. A loop-confined value like the reader it wraps: one thread at a time.
@_spi(Benchmarks)
public struct GRPCMessageReaderBenchmarkHook {
    private var reader: GRPCMessageReader

    /// - Parameter maxMessageBytes: the largest message accepted, as the server's
    ///   `maxReceiveMessageBytes`.
    public init(maxMessageBytes: Int = 4 << 20) {
        reader = GRPCMessageReader(maxMessageBytes: maxMessageBytes)
    }

    /// Feeds one DATA chunk; `deliver` gets each message the chunk completes.
    /// - Throws: `GRPCStatus` as the reader does (bad compressed flag, message over the limit).
    /// The thread that owns this value.
    public mutating func append(_ chunk: UnsafeRawBufferPointer, deliver: ([UInt8]) -> Void) throws(GRPCStatus) {
        try reader.append(chunk) { (message: [UInt8], _: Bool) throws(GRPCStatus) in deliver(message) }
    }
}
