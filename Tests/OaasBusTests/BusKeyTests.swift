import OaasBus
import Testing

@Suite("Bus keys and NATS subjects")
struct BusKeyTests {
    @Test("the platform's key shapes")
    func keys() {
        #expect(BusKey.function(classID: "math.Calculator", partition: 0, function: "add") == "oprc/math.Calculator/0/invokes/add")
        #expect(BusKey.object(classID: "math.Calculator", partition: 3, objectID: "7", function: "add")
            == "oprc/math.Calculator/3/objects/7/invokes/add")
    }

    @Test("dots inside a segment are escaped, so they are not subject separators")
    func subjects() throws {
        let key = BusKey.object(classID: "math.Calculator", partition: 0, objectID: "7", function: "complex_calculation")
        let subject = BusKey.subject(forKey: key)
        #expect(subject == "oprc.math~2ECalculator.0.objects.7.invokes.complex_calculation")
        #expect(subject.split(separator: ".").count == 7)
        #expect(try BusKey.key(forSubject: subject) == key)
    }

    @Test("wildcards, spaces, tildes, empty segments and non-ASCII round-trip without making NATS metacharacters",
          arguments: ["a*b", "a>b", "two words", "~", "x~2Ey", "ü-😀", "", "a/b", "tab\there", "..", "**", "*x", ">"])
    func roundTrip(objectID: String) throws {
        let key = BusKey.object(classID: "pkg.Cls", partition: 1, objectID: objectID, function: "f")
        let subject = BusKey.subject(forKey: key)
        #expect(!subject.contains("*") && !subject.contains(">") && !subject.contains(" ") && !subject.contains(".."))
        #expect(subject.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F })
        #expect(try BusKey.key(forSubject: subject) == key)
    }

    @Test("distinct keys give distinct subjects, including canonically equivalent spellings")
    func injective() {
        let keys = ["oprc/a.b/0/invokes/f", "oprc/a/b/0/invokes/f", "oprc/a~2Eb/0/invokes/f",
                    "oprc/\u{00FC}/0/invokes/f", "oprc/u\u{0308}/0/invokes/f"]
        #expect(Set(keys.map(BusKey.subject(forKey:))).count == keys.count)
    }

    @Test("subjects the rule cannot make are refused with a reason",
          arguments: ["a..b", ".a", "a.", "a~", "a~2", "a~2e", "a~41", "a*b", "a b", "a~FF", ""])
    func invalid(subject: String) {
        #expect(throws: BusKey.InvalidSubject.self) { try BusKey.key(forSubject: subject) }
    }

    @Test("a segment that is exactly '*' is the NATS wildcard token, and matches any one segment")
    func wildcard() throws {
        let pattern = BusKey.objectPattern(classID: "math.Calculator", partition: 0, function: "add")
        #expect(pattern == "oprc/math.Calculator/0/objects/*/invokes/add")
        #expect(BusKey.isPattern(pattern))
        #expect(!BusKey.isPattern(BusKey.object(classID: "math.Calculator", partition: 0, objectID: "*x", function: "add")))
        let subject = BusKey.subject(forKey: pattern)
        #expect(subject == "oprc.math~2ECalculator.0.objects.*.invokes.add")
        #expect(try BusKey.key(forSubject: subject) == pattern)
        #expect(BusKey.matches(pattern: pattern, key: "oprc/math.Calculator/0/objects/7/invokes/add"))
        #expect(BusKey.matches(pattern: pattern, key: "oprc/math.Calculator/0/objects/a.b/invokes/add"))
        #expect(!BusKey.matches(pattern: pattern, key: "oprc/math.Calculator/0/objects/7/invokes/sub"))
        #expect(!BusKey.matches(pattern: pattern, key: "oprc/math.Calculator/1/objects/7/invokes/add"))
        #expect(!BusKey.matches(pattern: pattern, key: "oprc/math.Calculator/0/objects/a/b/invokes/add"))
        #expect(BusKey.matches(pattern: "oprc/x/0/invokes/f", key: "oprc/x/0/invokes/f"))
    }
}
