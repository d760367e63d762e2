/// The platform's message-queue keys for invocations, and the rule that turns them into NATS
/// subjects and back.
///
/// Keys (as the platform and the Python SDK name them):
/// - a stateless function: `oprc/{package}.{Class}/{partition}/invokes/{fn}`;
/// - a method of one object: `oprc/{package}.{Class}/{partition}/objects/{objectId}/invokes/{fn}`.
///
/// NATS separates subject tokens with `.` and reserves `*`, `>` and whitespace, while a key's
/// segments are separated by `/` and may contain `.` (`math.Calculator`) or anything an object
/// id holds. The rule: each `/`-segment becomes one token; the bytes `A`–`Z`, `a`–`z`, `0`–`9`,
/// `_` and `-` stay as they are, every other byte of the segment's UTF-8 (including `.` and
/// `~`) is written `~` plus two upper-case hex digits, and an empty segment is a lone `~`.
/// Tokens are joined with `.`. So `oprc/math.Calculator/0/objects/7/invokes/add` is the
/// subject `oprc.math~2ECalculator.0.objects.7.invokes.add`. The rule is reversible
/// (``key(forSubject:)``), and every subject it makes is a valid NATS subject.
///
/// One exception: a segment that is exactly `*` is a wildcard standing for any single segment
/// (``anyObject``, as in ``objectPattern(classID:partition:function:)``, which a class-wide agent
/// serves). It becomes the NATS wildcard token `*`. The runtime refuses `*` as an object id, so a
/// key never means the literal id `*`.
///
/// Any thread (pure functions).
public enum BusKey {
    /// The key of stateless function `function` of class `classID` in `partition`.
    public static func function(classID: String, partition: UInt32, function: String) -> String {
        "oprc/\(classID)/\(partition)/invokes/\(function)"
    }

    /// The key of method `function` of object `objectID` of class `classID` in `partition`.
    public static func object(classID: String, partition: UInt32, objectID: String, function: String) -> String {
        "oprc/\(classID)/\(partition)/objects/\(objectID)/invokes/\(function)"
    }

    /// The segment that matches any one segment of a key.
    public static let anyObject = "*"

    /// The pattern matching method `function` of every object of class `classID` in
    /// `partition`: ``object(classID:partition:objectID:function:)`` with ``anyObject``.
    public static func objectPattern(classID: String, partition: UInt32, function: String) -> String {
        object(classID: classID, partition: partition, objectID: anyObject, function: function)
    }

    /// Whether `key` is a pattern (has a ``anyObject`` segment).
    public static func isPattern(_ key: String) -> Bool {
        key.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == anyObject }
    }

    /// Whether `key` matches `pattern`: the same number of segments, each equal or matched by
    /// a ``anyObject`` segment of the pattern.
    public static func matches(pattern: String, key: String) -> Bool {
        // Segment by segment over the UTF-8 views, allocating nothing: the embedded bus asks
        // this for every request while a pattern is served.
        let slash = UInt8(ascii: "/")
        let wanted = pattern.utf8
        let given = key.utf8
        var wantedStart = wanted.startIndex
        var givenStart = given.startIndex
        while true {
            let wantedEnd = wanted[wantedStart...].firstIndex(of: slash) ?? wanted.endIndex
            let givenEnd = given[givenStart...].firstIndex(of: slash) ?? given.endIndex
            let segment = wanted[wantedStart..<wantedEnd]
            if !segment.elementsEqual(anyObject.utf8), !segment.elementsEqual(given[givenStart..<givenEnd]) { return false }
            let wantedDone = wantedEnd == wanted.endIndex
            let givenDone = givenEnd == given.endIndex
            if wantedDone || givenDone { return wantedDone && givenDone }
            wantedStart = wanted.index(after: wantedEnd)
            givenStart = given.index(after: givenEnd)
        }
    }

    /// The NATS subject for `key` (see the type's rule).
    public static func subject(forKey key: String) -> String {
        var subject: [UInt8] = []
        subject.reserveCapacity(key.utf8.count + 8)
        var segmentEmpty = true
        var segmentIsWildcard = false
        for byte in key.utf8 {
            if byte == UInt8(ascii: "/") {
                if segmentEmpty { subject.append(UInt8(ascii: "~")) }
                if segmentIsWildcard {
                    subject.removeLast(3)
                    subject.append(UInt8(ascii: "*"))
                }
                subject.append(UInt8(ascii: "."))
                segmentEmpty = true
                segmentIsWildcard = false
                continue
            }
            segmentIsWildcard = segmentEmpty && byte == UInt8(ascii: "*")
            segmentEmpty = false
            if isPlain(byte) {
                subject.append(byte)
            } else {
                subject.append(UInt8(ascii: "~"))
                subject.append(hexDigits[Int(byte >> 4)])
                subject.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        if segmentEmpty { subject.append(UInt8(ascii: "~")) }
        if segmentIsWildcard {
            subject.removeLast(3)
            subject.append(UInt8(ascii: "*"))
        }
        return String(decoding: subject, as: UTF8.self)
    }

    /// Why a subject is not one ``subject(forKey:)`` could have made.
    public struct InvalidSubject: Error, Equatable, Sendable, CustomStringConvertible {
        /// The subject as given.
        public let subject: String
        /// What is wrong with it.
        public let reason: String
        public var description: String { "'\(subject)' is not an OaaS bus subject: \(reason)" }
    }

    /// The key a subject stands for: the inverse of ``subject(forKey:)``.
    /// - Throws: ``InvalidSubject`` for an empty token, a byte outside the rule's alphabet, a
    ///   `~` not followed by two hex digits, or escapes that do not decode to UTF-8.
    public static func key(forSubject subject: String) throws(InvalidSubject) -> String {
        var key: [UInt8] = []
        key.reserveCapacity(subject.utf8.count)
        var token: [UInt8] = []
        func flush() throws(InvalidSubject) {
            if token.isEmpty { throw InvalidSubject(subject: subject, reason: "a token is empty") }
            if token == [UInt8(ascii: "~")] {
                token.removeAll(keepingCapacity: true)
                return
            }
            if token == [UInt8(ascii: "*")] {
                key.append(UInt8(ascii: "*"))
                token.removeAll(keepingCapacity: true)
                return
            }
            var index = 0
            while index < token.count {
                let byte = token[index]
                if byte == UInt8(ascii: "~") {
                    guard index + 2 < token.count, let high = hexValue(token[index + 1]), let low = hexValue(token[index + 2]) else {
                        throw InvalidSubject(subject: subject, reason: "'~' must be followed by two upper-case hex digits")
                    }
                    let decoded = high << 4 | low
                    if isPlain(decoded) {
                        throw InvalidSubject(subject: subject, reason: "'~\(String(decoded, radix: 16, uppercase: true))' escapes a byte that is written plain")
                    }
                    key.append(decoded)
                    index += 3
                } else if isPlain(byte) {
                    key.append(byte)
                    index += 1
                } else {
                    throw InvalidSubject(subject: subject, reason: "byte 0x\(String(byte, radix: 16)) is outside the subject alphabet")
                }
            }
            token.removeAll(keepingCapacity: true)
        }
        for byte in subject.utf8 {
            if byte == UInt8(ascii: ".") {
                try flush()
                key.append(UInt8(ascii: "/"))
            } else {
                token.append(byte)
            }
        }
        try flush()
        guard let text = String(validating: key, as: UTF8.self) else {
            throw InvalidSubject(subject: subject, reason: "its escapes do not decode to UTF-8")
        }
        return text
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
