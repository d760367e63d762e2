/// The key of an object in a NATS key-value bucket, and back.
///
/// `o.<class>.<partition>.<object>`: the class id and the object id are escaped so that any
/// id fits the bucket's key alphabet (letters, digits, `-`, `_`, `/`, `=`, `.`) and the dots
/// between the tokens stay unambiguous: ASCII letters, digits, `-` and `_` stand as they are,
/// every other byte of the UTF-8 form becomes `=` and two uppercase hex digits (`.` is
/// `=2E`, `=` itself `=3D`). So `math.Calculator/0/7` is `o.math=2ECalculator.0.7`. The rule is
/// reversible: ``identity(of:)`` reads exactly the keys ``key(of:)`` writes and refuses any
/// other spelling (lowercase hex, an escaped byte that needed none), so one object has one
/// key. Any thread (pure functions).
enum ObjectKVKey {
    /// The first token of every object key; other keys of the bucket (its schema marker) do
    /// not start with it.
    static let prefix = "o"

    static func key(of object: ObjectIdentity) -> String {
        var key = prefix + "."
        escape(object.classID, into: &key)
        key += "."
        key += String(object.partitionID)
        key += "."
        escape(object.objectID, into: &key)
        return key
    }

    /// The prefix of every key of the class `classID` (for listing).
    static func classPrefix(_ classID: String) -> String {
        var key = prefix + "."
        escape(classID, into: &key)
        return key
    }

    /// The object a key names, or `nil` when the key is not one this rule writes.
    static func identity(of key: String) -> ObjectIdentity? {
        let tokens = key.split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count == 4, tokens[0] == Substring(prefix),
              let classID = unescape(tokens[1]), !classID.isEmpty,
              let partition = ObjectRecord.canonicalUInt64(String(tokens[2])), partition <= UInt64(UInt32.max),
              let objectID = unescape(tokens[3]), !objectID.isEmpty else { return nil }
        return ObjectIdentity(classID: classID, partitionID: UInt32(partition), objectID: objectID)
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func escape(_ text: String, into key: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isPlain(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "="))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            }
        }
        key += String(decoding: bytes, as: UTF8.self)
    }

    private static func unescape(_ token: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = token.utf8.makeIterator()
        while let byte = iterator.next() {
            if isPlain(byte) {
                bytes.append(byte)
                continue
            }
            guard byte == UInt8(ascii: "="), let high = iterator.next().flatMap(hexValue),
                  let low = iterator.next().flatMap(hexValue) else { return nil }
            let decoded = high << 4 | low
            // A byte that needed no escape has one spelling only: itself.
            guard !isPlain(decoded) else { return nil }
            bytes.append(decoded)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
