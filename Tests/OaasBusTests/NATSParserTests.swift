@testable import OaasBus
import OaasTesting
import Testing

@Suite("NATS parser")
struct NATSParserTests {
    // MARK: Well-formed ops

    @Test("control ops, in any case")
    func controlOps() throws {
        let ops = try parseWhole("PING\r\nPONG\r\n+OK\r\nping\r\nPong\r\n+ok\r\n-ERR 'Authorization Violation'\r\n")
        #expect(ops == [.ping, .pong, .ok, .ping, .pong, .ok, .error("Authorization Violation")])
    }

    @Test("-ERR text: quotes removed when both are there, kept as sent otherwise")
    func errorText() throws {
        #expect(try parseWhole("-ERR 'Stale Connection'\r\n") == [.error("Stale Connection")])
        #expect(try parseWhole("-err\t  'x y'  \r\n") == [.error("x y")])
        #expect(try parseWhole("-ERR unquoted text\r\n") == [.error("unquoted text")])
        #expect(try parseWhole("-ERR 'half\r\n") == [.error("'half")])
        #expect(try parseWhole("-ERR\r\n") == [.error("")])
        #expect(try parseWhole("-ERR ''\r\n") == [.error("")])
    }

    @Test("MSG with and without reply subject, spaces and tabs as separators")
    func msg() throws {
        let ops = try parseWhole("MSG foo.bar 9 5\r\nhello\r\nMSG foo 1 _INBOX.abc 3\r\nhey\r\nmsg\tx \t 42\t\t2 \r\nok\r\n")
        #expect(ops == [
            .message(NATSMessage(subject: "foo.bar", sid: 9, payload: bytes("hello"))),
            .message(NATSMessage(subject: "foo", sid: 1, replyTo: "_INBOX.abc", payload: bytes("hey"))),
            .message(NATSMessage(subject: "x", sid: 42, payload: bytes("ok"))),
        ])
    }

    @Test("zero-length payloads")
    func emptyPayload() throws {
        let ops = try parseWhole("MSG a 1 0\r\n\r\nMSG a 1 r 0\r\n\r\nHMSG a 2 12 12\r\nNATS/1.0\r\n\r\n\r\n")
        #expect(ops == [
            .message(NATSMessage(subject: "a", sid: 1)),
            .message(NATSMessage(subject: "a", sid: 1, replyTo: "r")),
            .message(NATSMessage(subject: "a", sid: 2)),
        ])
    }

    @Test("binary payloads with CRLF, control-line text and every byte value inside")
    func binaryPayload() throws {
        var payload = bytes("\r\nPING\r\nMSG a 1 2\r\n\r\n")
        payload += (0...255).map { UInt8($0) }
        let stream = bytes("MSG bin 3 \(payload.count)\r\n") + payload + bytes("\r\nPONG\r\n")
        let expected: [NATSServerOp] = [.message(NATSMessage(subject: "bin", sid: 3, payload: payload)), .pong]
        #expect(try parse(stream) == expected)
        #expect(try parseByteByByte(stream) == expected)
    }

    @Test("HMSG: no responders status, with and without reply subject")
    func noResponders() throws {
        let ops = try parseWhole("HMSG _INBOX.x.1 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\nHMSG s 7 r 16 16\r\nNATS/1.0 503\r\n\r\n\r\n")
        let first = NATSMessage(subject: "_INBOX.x.1", sid: 7, status: 503)
        #expect(ops == [.message(first), .message(NATSMessage(subject: "s", sid: 7, replyTo: "r", status: 503))])
        #expect(first.isNoResponders)
        #expect(!NATSMessage(subject: "a", sid: 1, status: 503, payload: [1]).isNoResponders)
        #expect(!NATSMessage(subject: "a", sid: 1).isNoResponders)
    }

    @Test("HMSG: status with description, header fields in order, values trimmed, payload after the block")
    func headers() throws {
        let block = "NATS/1.0 408 Request Timeout\r\nNats-Pending: 12\r\nx:two  \r\nx: three: and colon\r\nEmpty:\r\n\r\n"
        let stream = "HMSG sub 5 reply \(block.utf8.count) \(block.utf8.count + 4)\r\n\(block)body\r\n"
        let expected = NATSMessage(subject: "sub", sid: 5, replyTo: "reply", status: 408, statusDescription: "Request Timeout",
                                   headers: fields(["Nats-Pending": "12", "x": "two", "x": "three: and colon", "Empty": ""]),
                                   payload: bytes("body"))
        #expect(try parseWhole(stream) == [.message(expected)])
    }

    @Test("HMSG status line variants", arguments: [
        ("NATS/1.0", nil, nil),
        ("NATS/1.0 ", nil, nil),
        ("NATS/1.0 503", 503, nil),
        ("NATS/1.0\t100\tIdle Heartbeat", 100, "Idle Heartbeat"),
        ("NATS/1.0 404 No Messages ", 404, "No Messages"),
        ("NATS/1.0 FlowControl", nil, "FlowControl"),
        ("NATS/1.0 12ab", nil, "12ab"),
    ] as [(String, Int?, String?)])
    func statusLine(line: String, status: Int?, description: String?) throws {
        let block = "\(line)\r\n\r\n"
        let ops = try parseWhole("HMSG a 1 \(block.utf8.count) \(block.utf8.count)\r\n\(block)\r\n")
        #expect(ops == [.message(NATSMessage(subject: "a", sid: 1, status: status, statusDescription: description))])
    }

    @Test("INFO is decoded; an INFO line may be longer than other control lines")
    func info() throws {
        let urls = (0..<300).map { "\"10.0.\($0 / 250).\($0 % 250):4222\"" }.joined(separator: ",")
        let line = "INFO {\"server_id\":\"S1\",\"max_payload\":2048,\"connect_urls\":[\(urls)]} \r\n"
        #expect(line.utf8.count > 4096)
        let ops = try parseByteByByte(bytes(line))
        guard case .info(let info)? = ops.first, ops.count == 1 else {
            Issue.record("expected one INFO, got \(ops)")
            return
        }
        #expect(info.serverID == "S1")
        #expect(info.maxPayload == 2048)
        #expect(info.connectURLs.count == 300)
        #expect(try parseWhole("info\t{}\r\n") == [.info(NATSServerInfo())])
    }

    @Test("the largest sid, and a payload exactly at the limit")
    func limitsInclusive() throws {
        #expect(try parseWhole("MSG a 18446744073709551615 1\r\nx\r\n")
            == [.message(NATSMessage(subject: "a", sid: .max, payload: [UInt8(ascii: "x")]))])
        var parser = NATSParser(maxPayloadBytes: 4)
        #expect(try parse(bytes("MSG a 1 4\r\nabcd\r\n"), parser: &parser).count == 1)
        let line = "MSG " + String(repeating: "s", count: 4096 - 8) + " 1 0"
        #expect(line.utf8.count == 4096)
        #expect(try parseWhole(line + "\r\n\r\n").count == 1)
    }

    @Test("1 MiB payloads split across reads of many sizes")
    func largePayload() throws {
        var generator = SeededRandom(seed: 7)
        let payload = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let stream = bytes("MSG big 1 _INBOX.r \(payload.count)\r\n") + payload + bytes("\r\nPING\r\n")
        let expected: [NATSServerOp] = [.message(NATSMessage(subject: "big", sid: 1, replyTo: "_INBOX.r", payload: payload)), .ping]
        for chunk in [1 << 16, 4096, 65_537, 1000, (1 << 20) + 20] {
            #expect(try parse(stream, splits: Array(stride(from: chunk, to: stream.count, by: chunk))) == expected)
        }
        #expect(try parse(stream) == expected)
    }

    @Test("maxPayloadBytes can be changed between calls")
    func changeLimit() throws {
        var parser = NATSParser()
        #expect(try parse(bytes("INFO {\"max_payload\":8}\r\n"), parser: &parser).count == 1)
        parser.maxPayloadBytes = 8
        #expect(throws: NATSProtocolError.self) { try parse(bytes("MSG a 1 9\r\n"), parser: &parser) }
    }

    // MARK: Splits

    /// Every op kind, payloads with CRLF in them, a header block, tabs, lower case.
    static let mixedStream: [UInt8] = bytes(
        "INFO {\"server_id\":\"N\",\"headers\":true,\"max_payload\":1048576,\"proto\":1}\r\n"
            + "PING\r\n+OK\r\nMSG a.b 1 5\r\nhe\r\no\r\n"
            + "msg\tc 22 _INBOX.1 0\r\n\r\n"
            + "HMSG d 3 r 36 38\r\nNATS/1.0 503 No Responders\r\nK: v\r\n\r\n\r\n\r\n"
            + "-ERR 'Permissions Violation for Subscription to \"x\"'\r\nPONG\r\n"
            + "HMSG e 4 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")

    @Test("every single split point of a mixed stream gives the same ops")
    func everySplit() throws {
        let whole = try parse(Self.mixedStream)
        #expect(whole.count == 9)
        for cut in 0...Self.mixedStream.count {
            #expect(try parse(Self.mixedStream, splits: [cut]) == whole, "split at \(cut)")
        }
    }

    @Test("every pair of split points, and one byte at a time")
    func everyPairOfSplits() throws {
        let stream = Self.mixedStream
        let whole = try parse(stream)
        for first in 1..<stream.count {
            for second in first..<stream.count {
                let ops = try parse(stream, splits: [first, second])
                if ops != whole {
                    Issue.record("splits at \(first) and \(second) gave \(ops)")
                    return
                }
            }
        }
        #expect(try parseByteByByte(stream) == whole)
    }

    @Test("seeded random chunking of random streams matches whole-buffer parsing and the generator")
    func fuzz() throws {
        var generator = SeededRandom(seed: 0x0A45_0B75)
        for round in 0..<200 {
            let (stream, expected) = randomStream(using: &generator)
            #expect(try parse(stream) == expected, "round \(round), whole")
            for _ in 0..<5 {
                var splits: [Int] = []
                var position = 0
                while position < stream.count {
                    // Mostly small reads, now and then a large one, sometimes empty.
                    position += Bool.random(using: &generator) ? Int.random(in: 0...16, using: &generator)
                                                               : Int.random(in: 0...2000, using: &generator)
                    splits.append(min(position, stream.count))
                }
                let ops = try parse(stream, splits: splits)
                if ops != expected {
                    Issue.record("round \(round): splits \(splits) gave a different result")
                    return
                }
            }
        }
    }

    // MARK: Hostile input

    @Test("unknown ops and malformed control lines are refused", arguments: [
        ("FOO bar\r\n", "unknown protocol operation"),
        ("\r\n", "empty control line"),
        (" PING\r\n", "whitespace"),
        ("PINGX\r\n", "unknown"),
        ("PIN\r\n", "unknown"),
        ("\u{0B}OK\r\n", "unknown"),
        ("\rERR 'x'\r\n", "unknown"),
        ("PING extra\r\n", "no arguments"),
        ("+OK x\r\n", "no arguments"),
        ("INFO\r\n", "INFO without"),
        ("INFO {not json}\r\n", "INFO is not"),
        ("MSG\r\n", "arguments"),
        ("MSG a 1\r\n", "arguments"),
        ("MSG a 1 b c 5\r\n", "arguments"),
        ("MSG a b c d e f g\r\n", "too many fields"),
        ("HMSG a 1 12\r\n", "arguments"),
        ("MSG a x 1\r\nx\r\n", "not a number"),
        ("MSG a 1 -5\r\n", "negative"),
        ("MSG a 1 +5\r\n", "not a number"),
        ("MSG a 1 5x\r\n", "not a number"),
        ("MSG a 1 99999999999999999999\r\n", "too large"),
        ("MSG a 18446744073709551616 1\r\n", "too large"),
        ("MSG a 1 9223372036854775808\r\n", "too large"),
        ("HMSG a 1 -1 12\r\n", "negative"),
        ("HMSG a 1 20 16\r\n", "exceeds its total size"),
        ("HMSG a 1 4 16\r\n", "cannot hold"),
    ])
    func badControlLine(input: String, reason: String) {
        expectFailure(bytes(input), reason)
    }

    @Test("a bare LF ends no control line", arguments: ["PING\n", "PONG\r\nPING\n", "MSG a 1 1\nx\r\n", "\n"])
    func bareLF(input: String) {
        expectFailure(bytes(input), "bare LF")
    }

    @Test("a payload must be followed by CRLF", arguments: [
        "MSG a 1 3\r\nabcd\r\n", "MSG a 1 3\r\nabc\n\r\n", "MSG a 1 3\r\nabc\rX", "MSG a 1 0\r\nX\r\n",
        "HMSG a 1 12 12\r\nNATS/1.0\r\n\r\nX\r\n",
    ])
    func missingTrailer(input: String) {
        expectFailure(bytes(input), "not followed by CRLF")
    }

    @Test("malformed header blocks are refused", arguments: [
        ("NATS/2.0\r\n\r\n", "does not start with NATS/1.0"),
        ("HTTP/1.1 200\r\n\r\n", "does not start with NATS/1.0"),
        ("NATS/1.00\r\n\r\n", "does not start with NATS/1.0"),
        ("NATS/1.0\r\nNoColon\r\n\r\n", "without a colon"),
        ("NATS/1.0\r\n: v\r\n\r\n", "invalid name"),
        ("NATS/1.0\r\nA B: v\r\n\r\n", "invalid name"),
        ("NATS/1.0\r\n folded: v\r\n\r\n", "invalid name"),
        ("NATS/1.0\r\nA: v\nB: w\r\n\r\n", "bare LF"),
        ("NATS/1.0\r\nA: v\rB: w\r\n\r\n", "CR without LF"),
        ("NATS/1.0\r\n\r\nA: v\r\n\r\n", "after its empty line"),
        ("NATS/1.0\r\nA: v\r\n\r\nxx", "does not end with an empty line"),
        ("NATS/1.0\r\nA: v\r\n", "does not end with an empty line"),
    ])
    func badHeaderBlock(block: String, reason: String) {
        let size = block.utf8.count
        expectFailure(bytes("HMSG a 1 \(size) \(size + 2)\r\n\(block)pp\r\n"), reason)
    }

    @Test("a bad header block is refused before its payload arrives")
    func badHeaderBeforePayload() {
        var parser = NATSParser()
        #expect(throws: NATSProtocolError.self) {
            try parse(bytes("HMSG a 1 12 1000000\r\nNOPE/1.0\r\n\r\n"), parser: &parser)
        }
    }

    @Test("a message over the payload limit is refused on its control line, before any payload")
    func oversizedPayload() {
        var parser = NATSParser(maxPayloadBytes: 1024)
        #expect(throws: NATSProtocolError(reason: "MSG of 1025 bytes exceeds the limit of 1024 bytes")) {
            try parse(bytes("MSG a 1 1025\r\n"), parser: &parser)
        }
        var headers = NATSParser(maxPayloadBytes: 1024)
        #expect(throws: NATSProtocolError.self) { try parse(bytes("HMSG a 1 12 1025\r\n"), parser: &headers) }
        var huge = NATSParser()
        #expect(throws: NATSProtocolError.self) { try parse(bytes("MSG a 1 9223372036854775807\r\n"), parser: &huge) }
    }

    @Test("a control line without CRLF is refused as soon as it passes the limit")
    func runawayControlLine() throws {
        let limit = 64
        var parser = NATSParser(maxControlLineBytes: limit)
        let line = bytes("MSG " + String(repeating: "x", count: 200))
        // Up to the limit (and a CR that may start the CRLF) it is only incomplete.
        for index in 0..<limit {
            #expect(try parse([line[index]], parser: &parser).isEmpty)
        }
        #expect(try parse([0x0D], parser: &parser).isEmpty)
        #expect(throws: NATSProtocolError.self) { try parse([UInt8(ascii: "y")], parser: &parser) }

        var whole = NATSParser(maxControlLineBytes: limit)
        #expect(throws: NATSProtocolError.self) { try parse(line, parser: &whole) }
        var complete = NATSParser(maxControlLineBytes: limit)
        #expect(throws: NATSProtocolError.self) { try parse(line + bytes(" 1 0\r\n\r\n"), parser: &complete) }
        // INFO gets its own, larger limit, but a limit all the same.
        var info = NATSParser(maxControlLineBytes: limit, maxInfoLineBytes: 128)
        #expect(throws: NATSProtocolError.self) { try parse(bytes("INFO {" + String(repeating: " ", count: 200)), parser: &info) }
    }

    @Test("ops before a protocol error are delivered; the parser then stays failed")
    func stickyFailure() throws {
        var parser = NATSParser()
        var ops: [NATSServerOp] = []
        var failure: NATSProtocolError?
        do {
            try bytes("PING\r\nMSG a 1 1\r\nx\r\nBOGUS\r\nPONG\r\n").withUnsafeBytes { raw in
                try parser.parse(raw) { ops.append($0) }
            }
        } catch let error as NATSProtocolError {
            failure = error
        }
        #expect(ops == [.ping, .message(NATSMessage(subject: "a", sid: 1, payload: [UInt8(ascii: "x")]))])
        let error = try #require(failure)
        #expect(throws: error) { try parse(bytes("PING\r\n"), parser: &parser) }
    }

    @Test("an error thrown by emit stops the parser too")
    func emitThrows() {
        var parser = NATSParser()
        let stop = NATSProtocolError("client refused the server")
        #expect(throws: stop) {
            try bytes("INFO {}\r\nPING\r\n").withUnsafeBytes { raw in
                try parser.parse(raw) { op throws(NATSProtocolError) in
                    if case .info = op { throw stop }
                }
            }
        }
        #expect(throws: stop) { try parse(bytes("PING\r\n"), parser: &parser) }
    }

    @Test("message equality compares header fields")
    func messageEquality() {
        let base = NATSMessage(subject: "a", sid: 1, headers: fields(["k": "v"]))
        #expect(base == NATSMessage(subject: "a", sid: 1, headers: fields(["k": "v"])))
        #expect(base != NATSMessage(subject: "a", sid: 1, headers: fields(["k": "w"])))
        #expect(base != NATSMessage(subject: "a", sid: 1, headers: fields(["k": "v", "k": "v"])))
        #expect(base != NATSMessage(subject: "a", sid: 1))
    }

    // MARK: Helpers

    /// Parses `stream` with a fresh parser, cut at `splits`. Each piece is handed over in its own
    /// array, freed before the next call, so a parser that kept a pointer into an earlier read
    /// would be caught (by wrong output, or by the address sanitizer).
    private func parse(_ stream: [UInt8], splits: [Int] = []) throws -> [NATSServerOp] {
        var parser = NATSParser()
        return try parse(stream, splits: splits, parser: &parser)
    }

    private func parse(_ stream: [UInt8], splits: [Int] = [], parser: inout NATSParser) throws -> [NATSServerOp] {
        var ops: [NATSServerOp] = []
        var start = 0
        for end in splits + [stream.count] {
            let piece = Array(stream[start..<max(start, end)])
            try piece.withUnsafeBytes { raw in try parser.parse(raw) { ops.append($0) } }
            start = max(start, end)
        }
        return ops
    }

    private func parseWhole(_ text: String) throws -> [NATSServerOp] {
        try parse(bytes(text))
    }

    private func parseByteByByte(_ stream: [UInt8]) throws -> [NATSServerOp] {
        try parse(stream, splits: Array(stream.indices))
    }

    /// Both whole and one byte at a time, the stream fails with a reason that mentions `reason`.
    private func expectFailure(_ stream: [UInt8], _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for splits in [[], Array(stream.indices)] {
            do {
                let ops = try parse(stream, splits: splits)
                Issue.record("expected a failure mentioning \"\(reason)\", got \(ops)", sourceLocation: sourceLocation)
            } catch let error as NATSProtocolError {
                #expect(error.reason.contains(reason), "\(error.reason)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    /// A stream of random ops, and the ops it must parse into.
    private func randomStream(using generator: inout SeededRandom) -> ([UInt8], [NATSServerOp]) {
        var stream: [UInt8] = []
        var ops: [NATSServerOp] = []
        func token(_ generator: inout SeededRandom) -> String {
            let alphabet = Array("abcXYZ019._-*>$")
            return String((0..<Int.random(in: 1...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        func blank(_ generator: inout SeededRandom) -> String {
            [" ", "\t", "  ", " \t "].randomElement(using: &generator)!
        }
        for _ in 0..<Int.random(in: 1...30, using: &generator) {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0:
                stream += bytes(["PING\r\n", "ping\r\n", "Ping\r\n"].randomElement(using: &generator)!)
                ops.append(.ping)
            case 1:
                stream += bytes("PONG\r\n")
                ops.append(.pong)
            case 2:
                let text = token(&generator)
                stream += bytes("-ERR '\(text)'\r\n")
                ops.append(.error(text))
            case 3:
                let id = token(&generator)
                stream += bytes("INFO {\"server_id\":\"\(id)\",\"headers\":true}\r\n")
                ops.append(.info(NATSServerInfo(serverID: id, headers: true)))
            case 4, 5, 6:
                let subject = token(&generator)
                let sid = UInt64.random(in: 0...UInt64.max, using: &generator)
                let reply = Bool.random(using: &generator) ? token(&generator) : nil
                let size = Int.random(in: 0...10, using: &generator) == 0 ? Int.random(in: 0...6000, using: &generator)
                                                                          : Int.random(in: 0...40, using: &generator)
                let payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let op = Bool.random(using: &generator) ? "MSG" : "msg"
                let b = blank(&generator)
                stream += bytes("\(op)\(b)\(subject)\(b)\(sid)\(b)\(reply.map { "\($0)\(b)" } ?? "")\(size)\r\n") + payload + bytes("\r\n")
                ops.append(.message(NATSMessage(subject: subject, sid: sid, replyTo: reply, payload: payload)))
            default:
                let subject = token(&generator)
                let sid = UInt64.random(in: 0...1000, using: &generator)
                let reply = Bool.random(using: &generator) ? token(&generator) : nil
                let status: Int? = Bool.random(using: &generator) ? Int.random(in: 100...599, using: &generator) : nil
                let description: String? = status != nil && Bool.random(using: &generator) ? "Some Text" : nil
                let fields = (0..<Int.random(in: 0...4, using: &generator)).map { _ in NATSHeader(name: token(&generator), value: token(&generator)) }
                var block = "NATS/1.0" + (status.map { " \($0)" } ?? "") + (description.map { " \($0)" } ?? "") + "\r\n"
                for field in fields { block += "\(field.name): \(field.value)\r\n" }
                block += "\r\n"
                let payload = (0..<Int.random(in: 0...100, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let headerSize = block.utf8.count
                stream += bytes("HMSG \(subject) \(sid) \(reply.map { "\($0) " } ?? "")\(headerSize) \(headerSize + payload.count)\r\n")
                stream += bytes(block) + payload + bytes("\r\n")
                ops.append(.message(NATSMessage(subject: subject, sid: sid, replyTo: reply, status: status,
                                                statusDescription: description, headers: fields, payload: payload)))
            }
        }
        return (stream, ops)
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
