/// The one wildcard subscription a ``NATSClient`` receives every reply on:
/// `_INBOX.<prefix>.*`, where the prefix is 22 random base-62 characters (like a NUID, so two
/// clients never share one) and each request's reply subject ends in its own token, a decimal
/// counter. Pure; loop-confined with its client.
struct NATSInbox {
    /// `_INBOX.<prefix>`.
    let base: String
    /// What the client subscribes to: `_INBOX.<prefix>.*`.
    var wildcard: String { base + ".*" }
    private let baseBytes: [UInt8]

    /// An inbox with a fresh random prefix. (It draws from the system generator directly rather
    /// than through a local `SystemRandomNumberGenerator`, whose zero size gives every thread's
    /// local one address, which ThreadSanitizer reports as a race.)
    init() {
        self.init(pickingWith: { Int.random(in: 0..<$0) })
    }

    /// An inbox whose prefix comes from `random`.
    init<Random: RandomNumberGenerator>(random: inout Random) {
        self.init(pickingWith: { Int.random(in: 0..<$0, using: &random) })
    }

    /// `pick(n)` returns an index below `n`.
    private init(pickingWith pick: (Int) -> Int) {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var prefix = Array("_INBOX.".utf8)
        for _ in 0..<22 { prefix.append(alphabet[pick(alphabet.count)]) }
        base = String(decoding: prefix, as: UTF8.self)
        baseBytes = prefix
    }

    /// The reply subject of the request with `token`.
    func replySubject(token: UInt64) -> String {
        "\(base).\(token)"
    }

    /// The token of a reply subject of this inbox, or `nil` for any other subject (another
    /// inbox, a token that is not a decimal number, one that overflows).
    func token(fromSubject subject: String) -> UInt64? {
        var utf8 = subject.utf8.makeIterator()
        for expected in baseBytes {
            guard utf8.next() == expected else { return nil }
        }
        guard utf8.next() == UInt8(ascii: ".") else { return nil }
        var value: UInt64 = 0
        var digits = 0
        while let byte = utf8.next() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
