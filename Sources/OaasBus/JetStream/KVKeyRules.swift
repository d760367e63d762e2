/// The key rules of JetStream key-value buckets: a key is one or more dot-separated tokens of
/// `[-/_=.a-zA-Z0-9]`, so it is a literal NATS subject (no wildcards, no blanks) under the
/// bucket's `$KV.<bucket>.` prefix. Pure; any thread.
enum KVKeyRules {
    /// Whether `key` is a key: not empty, only allowed bytes, no leading or trailing dot, no
    /// empty token.
    static func isValidKey(_ key: String) -> Bool {
        var previous: UInt8 = UInt8(ascii: ".")
        var count = 0
        for byte in key.utf8 {
            if byte == UInt8(ascii: ".") {
                // A dot first, or after another dot, makes an empty token.
                guard previous != UInt8(ascii: ".") else { return false }
            } else if !isKeyByte(byte) {
                return false
            }
            previous = byte
            count += 1
        }
        return count > 0 && previous != UInt8(ascii: ".")
    }

    /// Why `key` is not a key, for the error text.
    static func problem(with key: String, what: String = "key") -> String {
        "the \(what) \(String(reflecting: key)) must be dot-separated tokens of letters, digits, '-', '/', '_' and '=', without empty tokens or a dot at either end"
    }

    @inline(__always)
    static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    /// Bucket names are one token: a stream name must not hold dots (nor wildcards).
    static func isBucketByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
