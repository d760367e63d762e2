/// The `grpc-timeout` header: at most 8 ASCII digits and a unit
/// (H hours, M minutes, S seconds, m milliseconds, u microseconds, n nanoseconds).
enum GRPCTimeout {
    /// The timeout in whole milliseconds (rounded up, so a deadline never ends early), or nil
    /// for a malformed value.
    static func parseMilliseconds(_ value: UnsafeRawBufferPointer) -> UInt64? {
        guard value.count >= 2, value.count <= 9 else { return nil }
        var amount: UInt64 = 0
        for byte in value.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        switch value.last! {
        case UInt8(ascii: "H"): return amount * 3_600_000
        case UInt8(ascii: "M"): return amount * 60_000
        case UInt8(ascii: "S"): return amount * 1_000
        case UInt8(ascii: "m"): return amount
        case UInt8(ascii: "u"): return (amount + 999) / 1_000
        case UInt8(ascii: "n"): return (amount + 999_999) / 1_000_000
        default: return nil
        }
    }

    /// A header value for a timeout, in the finest unit that fits in 8 digits.
    static func encode(milliseconds: UInt64) -> String {
        if milliseconds < 100_000_000 { return "\(milliseconds)m" }
        let seconds = (milliseconds + 999) / 1_000
        if seconds < 100_000_000 { return "\(seconds)S" }
        return "\(min((seconds + 3_599) / 3_600, 99_999_999))H"
    }
}
