#if canImport(FoundationEssentials)
import FoundationEssentials
#endif
import Foundation
@testable import OaasBus
import Testing

@Suite("NATS commands")
struct NATSCommandTests {
    @Test("CONNECT with the defaults: protocol key names, nil options left out")
    func connectDefaults() {
        var buffer: [UInt8] = []
        NATSCommand.connect(NATSConnectOptions(), into: &buffer)
        #expect(text(buffer) == #"CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"lang":"swift","#
            + #""version":"0.1.0","protocol":1,"headers":true,"no_responders":true,"echo":true}"# + "\r\n")
    }

    @Test("CONNECT escapes strings so that JSON reads back exactly what was given")
    func connectEscaping() throws {
        var options = NATSConnectOptions()
        options.name = "agent \"one\" ü 😀"
        options.user = "us\\er"
        options.password = "p\"a\\ss\nw\to\r\u{01}\u{1F}\u{7F}'rd"
        options.authToken = "tok/en"
        options.echo = false
        options.verbose = true
        var buffer: [UInt8] = []
        NATSCommand.connect(options, into: &buffer)

        let line = text(buffer)
        #expect(line.hasPrefix("CONNECT {"))
        #expect(line.hasSuffix("}\r\n"))
        #expect(buffer.dropLast(2).allSatisfy { $0 != 0x0D && $0 != 0x0A }, "a raw CR or LF would end the command early")
        let json = Data(buffer.dropFirst("CONNECT ".utf8.count).dropLast(2))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["name"] as? String == options.name)
        #expect(object["user"] as? String == options.user)
        #expect(object["pass"] as? String == options.password)
        #expect(object["auth_token"] as? String == options.authToken)
        #expect(object["echo"] as? Bool == false)
        #expect(object["verbose"] as? Bool == true)
        #expect(object["pedantic"] as? Bool == false)
        #expect(object["tls_required"] as? Bool == false)
        #expect(object["headers"] as? Bool == true)
        #expect(object["no_responders"] as? Bool == true)
        #expect(object["protocol"] as? Int == 1)
        #expect(object["lang"] as? String == "swift")
        #expect(object.count == 13)
    }

    @Test("JSON escapes for every control byte")
    func jsonEscapes() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self) + "\"\\/"
        var buffer: [UInt8] = []
        NATSCommand.appendJSONString(all, to: &buffer)
        #expect(!buffer.contains { $0 < 0x20 })
        let decoded = try JSONSerialization.jsonObject(with: Data(buffer), options: .fragmentsAllowed) as? String
        #expect(decoded == all)
        var short: [UInt8] = []
        NATSCommand.appendJSONString("\u{01}\n\u{1B}", to: &short)
        #expect(text(short) == #""\u0001\n\u001b""#)
    }

    @Test("PING and PONG")
    func pingPong() {
        var buffer: [UInt8] = []
        NATSCommand.ping(into: &buffer)
        NATSCommand.pong(into: &buffer)
        #expect(text(buffer) == "PING\r\nPONG\r\n")
    }

    @Test("SUB with and without a queue group, UNSUB with and without a message count")
    func subscriptions() {
        var buffer: [UInt8] = []
        NATSCommand.subscribe(subject: "oprc.pkg~2ECls.0.invokes.f", queueGroup: nil, sid: 1, into: &buffer)
        NATSCommand.subscribe(subject: "a.*", queueGroup: "workers", sid: 18_446_744_073_709_551_615, into: &buffer)
        NATSCommand.unsubscribe(sid: 1, into: &buffer)
        NATSCommand.unsubscribe(sid: 7, maxMessages: 1, into: &buffer)
        NATSCommand.unsubscribe(sid: 0, maxMessages: 0, into: &buffer)
        #expect(text(buffer) == "SUB oprc.pkg~2ECls.0.invokes.f 1\r\nSUB a.* workers 18446744073709551615\r\n"
            + "UNSUB 1\r\nUNSUB 7 1\r\nUNSUB 0 0\r\n")
    }

    @Test("PUB with and without a reply subject; binary and empty payloads go out unchanged")
    func publish() {
        var buffer = bytes("PING\r\n")  // commands append, so they coalesce into one write
        bytes("hello").withUnsafeBytes { NATSCommand.publish(subject: "a.b", replyTo: nil, payload: $0, into: &buffer) }
        [UInt8]().withUnsafeBytes { NATSCommand.publish(subject: "a", replyTo: "_INBOX.x.1", payload: $0, into: &buffer) }
        let binary: [UInt8] = [0, 13, 10, 255, 13, 10]
        binary.withUnsafeBytes { NATSCommand.publish(subject: "b", replyTo: "r", payload: $0, into: &buffer) }
        #expect(buffer == bytes("PING\r\nPUB a.b 5\r\nhello\r\nPUB a _INBOX.x.1 0\r\n\r\nPUB b r 6\r\n") + binary + bytes("\r\n"))
    }

    @Test("HPUB counts the whole header block as header bytes, block plus payload as total")
    func publishWithHeaders() throws {
        var buffer: [UInt8] = []
        _ = bytes("body").withUnsafeBytes {
            NATSCommand.publish(subject: "s", replyTo: "r", headers: fields(["A": "1", "Long-Name": "x y: z", "ü": "😀"]),
                                payload: $0, into: &buffer)
        }
        let block = "NATS/1.0\r\nA: 1\r\nLong-Name: x y: z\r\nü: 😀\r\n\r\n"
        let headerBytes = block.utf8.count
        #expect(text(buffer) == "HPUB s r \(headerBytes) \(headerBytes + 4)\r\n\(block)body\r\n")

        var bare: [UInt8] = []
        _ = [UInt8]().withUnsafeBytes { NATSCommand.publish(subject: "s", replyTo: nil, headers: [], payload: $0, into: &bare) }
        #expect(text(bare) == "HPUB s 12 12\r\nNATS/1.0\r\n\r\n\r\n")
    }

    @Test("what a server would deliver from our HPUB reads back through the parser")
    func headersRoundTrip() throws {
        var buffer: [UInt8] = []
        let headerFields = fields(["Nats-Msg-Id": "42", "k": ""])
        _ = bytes("payload").withUnsafeBytes {
            NATSCommand.publish(subject: "s", replyTo: nil, headers: headerFields, payload: $0, into: &buffer)
        }
        // The server relays HPUB as HMSG with the subscriber's sid inserted after the subject.
        let relayed = bytes("HMSG s 9") + buffer.dropFirst("HPUB s".utf8.count)
        var parser = NATSParser()
        var ops: [NATSServerOp] = []
        try relayed.withUnsafeBytes { raw in try parser.parse(raw) { ops.append($0) } }
        #expect(ops == [.message(NATSMessage(subject: "s", sid: 9, headers: headerFields, payload: bytes("payload")))])
    }

    @Test("decimal numbers", arguments: [0, 9, 10, 99, 100, 4222, 1 << 32, UInt64.max])
    func decimals(value: UInt64) {
        var buffer: [UInt8] = [UInt8(ascii: "x")]
        NATSCommand.appendDecimal(value, to: &buffer)
        #expect(text(buffer) == "x\(value)")
    }

    @Test("which subjects and headers can be written")
    func validity() {
        #expect(NATSCommand.isValidSubject("oprc.a~2Eb.0.invokes.f"))
        #expect(NATSCommand.isValidSubject("_INBOX.*.>"))
        for bad in ["", "a b", "a\tb", "a\r\nPUB x 1", "a\u{7F}"] {
            #expect(!NATSCommand.isValidSubject(bad), "\(bad)")
        }
        #expect(NATSCommand.isValidHeader(name: "Nats-Msg-Id", value: "any text: even colons"))
        #expect(NATSCommand.isValidHeader(name: "k", value: ""))
        #expect(!NATSCommand.isValidHeader(name: "", value: "v"))
        #expect(!NATSCommand.isValidHeader(name: "a:b", value: "v"))
        #expect(!NATSCommand.isValidHeader(name: "a b", value: "v"))
        #expect(!NATSCommand.isValidHeader(name: "k", value: "v\r\nInjected: yes"))
    }

    private func text(_ buffer: [UInt8]) -> String { String(decoding: buffer, as: UTF8.self) }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
