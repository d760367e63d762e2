// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.

/// Feeds bytes to the client's own NATS parser (the internal `NATSParser`), so the
/// micro-benchmarks measure the code a connection runs, message values included.
///
/// Not API. A loop-confined value like the parser it wraps: one thread at a time.
@_spi(Benchmarks)
public struct NATSParserBenchmarkHook {
    private var parser = NATSParser()

    public init() {}

    /// Parses `bytes` (any split of a server's stream) and tells what came out.
    /// - Returns: the messages (`MSG`/`HMSG`) completed, and their payload bytes in total,
    ///   which also keeps the optimizer from dropping the messages unread.
    /// - Throws: the parser's protocol error (an internal type, hence the untyped throw); the
    ///   hook is then spent.
    /// The thread that owns this value.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws -> (messages: Int, payloadBytes: Int) {
        var messages = 0
        var payloadBytes = 0
        try parser.parse(bytes) { (op: NATSServerOp) throws(NATSProtocolError) in
            if case .message(let message) = op {
                messages += 1
                payloadBytes += message.payload.count
            }
        }
        return (messages, payloadBytes)
    }
}
