/// One field of a NATS message's header block (`Name: value`), as `HPUB` sends it and `HMSG`
/// delivers it.
///
/// Names may repeat in one block, so headers travel as an ordered list, not a dictionary.
/// A plain value; any thread.
public struct NATSHeader: Sendable, Equatable {
    /// The field's name: visible ASCII without a colon. NATS compares names case-sensitively
    /// on the wire, but ``NATSReply/header(_:)`` looks them up case-insensitively, as HTTP does.
    public let name: String
    /// The field's value: any text without CR or LF, trimmed of surrounding blanks on receipt.
    public let value: String

    /// A field. Nothing is checked here: the call that sends it refuses a name or value that
    /// would break the header block. Any thread.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Whether `name` equals `other` ignoring ASCII case, without allocating (header lookups
    /// run once per reply on the hot path of key-value reads).
    static func namesMatch(_ name: String, _ other: String) -> Bool {
        var left = name.utf8.makeIterator()
        var right = other.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return true
            case (let a?, let b?):
                guard a == b || lowercased(a) == lowercased(b) else { return false }
            case (nil, _?), (_?, nil):
                return false
            }
        }
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
