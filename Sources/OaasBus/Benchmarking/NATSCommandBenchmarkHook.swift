// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.

/// Writes `PUB` and `HPUB` commands with the client's own writer (the internal `NATSCommand`).
///
/// Not API. Any thread (pure functions; the buffer belongs to the caller).
@_spi(Benchmarks)
public enum NATSCommandBenchmarkHook {
    /// Appends `PUB <subject> [reply-to] <#bytes>` CRLF payload CRLF to `buffer`.
    public static func publish(subject: String, replyTo: String?, payload: UnsafeRawBufferPointer,
                               into buffer: inout [UInt8]) {
        NATSCommand.publish(subject: subject, replyTo: replyTo, payload: payload, into: &buffer)
    }

    /// Appends an `HPUB` with `headers` to `buffer`.
    public static func publish(subject: String, replyTo: String?, headers: [NATSHeader],
                               payload: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        NATSCommand.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload, into: &buffer)
    }
}
