@testable import OaasGRPC
import Testing
import OaasTesting

@Suite("Length-prefixed message reassembly")
struct GRPCMessageReaderTests {
    private func framedStream(_ messages: [[UInt8]]) -> [UInt8] {
        var stream: [UInt8] = []
        for message in messages { message.withUnsafeBytes { GRPCMessageWriter.append($0, to: &stream) } }
        return stream
    }

    @Test("messages come out whole and in order however the bytes are split", arguments: 0..<20)
    func randomSplits(seed: Int) throws {
        var generator = SeededRandom(seed: UInt64(seed))
        let messages = (0..<25).map { index in
            // Include empty messages and ones that straddle many chunks.
            (0..<Int.random(in: 0...(index % 5 == 0 ? 0 : 3_000), using: &generator)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
        }
        let stream = framedStream(messages)
        var reader = GRPCMessageReader(maxMessageBytes: 1 << 20)
        var received: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            // Splits of 1 byte (inside a prefix) up to several messages at once.
            let size = min(stream.count - offset, [1, 2, 3, 5, 64, 1_000, 9_000].randomElement(using: &generator)!)
            try stream[offset..<(offset + size)].withUnsafeBytes { chunk in
                try reader.append(chunk) { message, compressed in
                    #expect(!compressed)
                    received.append(message)
                }
            }
            offset += size
        }
        #expect(received == messages)
        #expect(!reader.hasPartialMessage)
    }

    @Test("a stream cut inside a prefix or a body reports how far it got")
    func partialMessage() throws {
        var reader = GRPCMessageReader(maxMessageBytes: 100)
        let stream = framedStream([[1, 2, 3, 4]])
        try stream[0..<3].withUnsafeBytes { chunk in try reader.append(chunk) { _, _ in Issue.record("no message yet") } }
        #expect(reader.hasPartialMessage)
        #expect(reader.partialDescription == "3 of 5 prefix bytes")
        try stream[3..<7].withUnsafeBytes { chunk in try reader.append(chunk) { _, _ in Issue.record("no message yet") } }
        #expect(reader.partialDescription == "2 of 4 bytes")
    }

    @Test("a prefix above the limit or a bad flag byte is refused before any body arrives")
    func badPrefixes() {
        var small = GRPCMessageReader(maxMessageBytes: 10)
        let tooLarge: [UInt8] = [0, 0, 0, 0, 11]
        #expect(throws: GRPCStatus(.resourceExhausted, "received message of 11 bytes, more than the limit of 10")) {
            try tooLarge.withUnsafeBytes { chunk in try small.append(chunk) { _, _ in } }
        }
        var flagged = GRPCMessageReader(maxMessageBytes: 10)
        let badFlag: [UInt8] = [7, 0, 0, 0, 1, 42]
        #expect(throws: GRPCStatus.self) {
            try badFlag.withUnsafeBytes { chunk in try flagged.append(chunk) { _, _ in } }
        }
    }

    @Test("percent-encoding round-trips any text and decoding never fails on bad escapes")
    func percentEncoding() {
        for text in ["plain", "100%", "ünïcødé ✓", "line\nbreak\u{0}nul", "%%", ""] {
            let encoded = GRPCPercentEncoding.encode(text)
            #expect(encoded.allSatisfy { $0 >= 0x20 && $0 <= 0x7E })
            #expect(encoded.withUnsafeBytes { GRPCPercentEncoding.decode($0) } == text)
        }
        for malformed in ["%", "%4", "%zz", "abc%"] {
            let decoded = Array(malformed.utf8).withUnsafeBytes { GRPCPercentEncoding.decode($0) }
            #expect(decoded == malformed)
        }
    }

    @Test("grpc-timeout values parse to milliseconds, rounding up; malformed ones are refused",
          arguments: [("1H", 3_600_000 as UInt64?), ("2M", 120_000), ("3S", 3_000), ("40m", 40), ("1500u", 2),
                      ("1n", 1), ("99999999S", 99_999_999_000), ("0m", 0), ("123456789S", nil), ("10", nil),
                      ("S", nil), ("-1S", nil), ("1x", nil), ("", nil)])
    func timeouts(header: String, milliseconds: UInt64?) {
        #expect(Array(header.utf8).withUnsafeBytes { GRPCTimeout.parseMilliseconds($0) } == milliseconds)
    }
}
