#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the bytes a NATS server sends and turns them into ``NATSServerOp``s, with no I/O.
///
/// The stream may be split anywhere (inside a control line, its CRLF, a header block or a
/// payload): the parser keeps what it has and goes on with the next call, and the ops come out
/// the same as if the bytes had arrived at once.
///
/// Wire rules it enforces (the NATS client protocol): control lines end with CRLF; operation
/// names are case-insensitive; fields are separated by runs of spaces or tabs; `MSG` and `HMSG`
/// are followed by exactly the announced number of bytes and a CRLF; an `HMSG` header block
/// starts with `NATS/1.0` and ends with an empty line.
///
/// A line ending in a bare LF is refused, not tolerated: servers always send CRLF, so a bare
/// LF means the stream is corrupt or is not NATS, and guessing where a frame ends would risk
/// delivering a wrong payload instead of reconnecting.
///
/// Cost: the message path does not allocate beyond the message's own strings and payload, and
/// when a whole payload is in the input it is copied once, straight into the message. Partial
/// control lines go to one reused buffer.
///
/// Loop-confined value: the client owns one per connection and calls it on the loop's thread.
struct NATSParser {
    /// The longest control line (without its CRLF) accepted, except `INFO` lines.
    let maxControlLineBytes: Int
    /// The longest `INFO` line accepted: larger than other lines because it lists the whole
    /// cluster in `connect_urls`.
    var maxInfoLineBytes: Int
    /// The largest message accepted (`HMSG`: header block plus payload). The client sets it
    /// from the server's `max_payload` with a margin; checked on the control line, before any
    /// payload byte is kept.
    var maxPayloadBytes: Int

    /// The start of a control line whose CRLF has not arrived yet.
    private var pendingLine: [UInt8] = []
    /// A message whose control line has been read but whose body has not fully arrived.
    private var partial: PartialMessage?
    /// An `HMSG` header block still arriving; kept apart from the payload so that the payload
    /// is not copied again to split it off. Reused across messages.
    private var pendingHeader: [UInt8] = []
    /// The error that stopped the parser: a stream that broke the protocol has no reliable
    /// frame boundary left, so every later call repeats it.
    private var failure: NATSProtocolError?

    /// - Parameters:
    ///   - maxControlLineBytes: the longest control line other than `INFO`; at least 32.
    ///   - maxPayloadBytes: the largest message, header block included.
    ///   - maxInfoLineBytes: the longest `INFO` line; at least `maxControlLineBytes`.
    init(maxControlLineBytes: Int = 4096, maxPayloadBytes: Int = 64 << 20, maxInfoLineBytes: Int = 64 << 10) {
        precondition(maxControlLineBytes >= 32, "a NATS control line limit must allow at least 32 bytes")
        precondition(maxPayloadBytes >= 0, "a NATS payload limit cannot be negative")
        self.maxControlLineBytes = maxControlLineBytes
        self.maxPayloadBytes = maxPayloadBytes
        self.maxInfoLineBytes = max(maxInfoLineBytes, maxControlLineBytes)
    }

    /// Feeds `bytes` and calls `emit` for every op they complete, in order; a partial op is
    /// kept for the next call. `emit` cannot reach this parser (it is being mutated), so a
    /// change of ``maxPayloadBytes`` after `INFO` applies from the next call on.
    /// - Throws: ``NATSProtocolError`` for bytes that break the protocol (unknown op, control
    ///   line too long, bad number, size negative or over the limit, no CRLF after a payload,
    ///   header block larger than the message or malformed, bare LF), and whatever `emit`
    ///   throws. After a throw the parser is spent: every later call throws the same error.
    mutating func parse(_ bytes: UnsafeRawBufferPointer,
                        _ emit: (NATSServerOp) throws(NATSProtocolError) -> Void) throws(NATSProtocolError) {
        if let failure { throw failure }
        do {
            var index = 0
            while index < bytes.count {
                if partial != nil {
                    index = try continueMessage(bytes, at: index, emit)
                } else if pendingLine.isEmpty {
                    index = try readLine(bytes, at: index, emit)
                } else {
                    index = try continueLine(bytes, at: index, emit)
                }
            }
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: Control lines

    /// The common case: a control line that starts at `start` with nothing pending. When its
    /// LF is in `bytes` it is handled in place; otherwise its start is kept.
    private mutating func readLine(_ bytes: UnsafeRawBufferPointer, at start: Int,
                                   _ emit: (NATSServerOp) throws(NATSProtocolError) -> Void) throws(NATSProtocolError) -> Int {
        guard let lf = Self.firstLF(in: bytes, from: start) else {
            pendingLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
            try checkPendingLineLength()
            return bytes.count
        }
        guard lf > start, bytes[lf - 1] == ASCII.cr else {
            throw NATSProtocolError("control line ends with a bare LF instead of CRLF")
        }
        let line = UnsafeRawBufferPointer(rebasing: bytes[start..<(lf - 1)])
        try checkLength(of: line)
        return try handleLine(line, body: bytes, at: lf + 1, emit)
    }

    /// The rarer case: the line began in an earlier call. Bytes up to the LF join the pending
    /// start; the completed line is then handled from that buffer.
    private mutating func continueLine(_ bytes: UnsafeRawBufferPointer, at start: Int,
                                       _ emit: (NATSServerOp) throws(NATSProtocolError) -> Void) throws(NATSProtocolError) -> Int {
        guard let lf = Self.firstLF(in: bytes, from: start) else {
            pendingLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
            try checkPendingLineLength()
            return bytes.count
        }
        pendingLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<lf]))
        guard pendingLine.last == ASCII.cr else {
            throw NATSProtocolError("control line ends with a bare LF instead of CRLF")
        }
        // Handling the line mutates the parser, so the buffer is moved out while it is read
        // and moved back (emptied, capacity kept) afterwards.
        var line: [UInt8] = []
        swap(&line, &pendingLine)
        // Array's withUnsafeBytes only rethrows untyped errors, hence the Result.
        let outcome = line.withUnsafeBytes { raw -> Result<Int, NATSProtocolError> in
            do throws(NATSProtocolError) {
                let content = UnsafeRawBufferPointer(rebasing: raw.dropLast())
                try checkLength(of: content)
                return .success(try handleLine(content, body: bytes, at: lf + 1, emit))
            } catch {
                return .failure(error)
            }
        }
        let next = try outcome.get()
        line.removeAll(keepingCapacity: true)
        swap(&line, &pendingLine)
        return next
    }

    /// Refuses a line that is already over its limit before its CRLF arrives, so a peer that
    /// never sends one cannot make the parser buffer without bound.
    private func checkPendingLineLength() throws(NATSProtocolError) {
        // A trailing CR may be the first half of the CRLF rather than content.
        let content = pendingLine.count - (pendingLine.last == ASCII.cr ? 1 : 0)
        guard content > maxControlLineBytes else { return }
        let limit = pendingLine.withUnsafeBytes { Self.isInfoLine($0) } ? maxInfoLineBytes : maxControlLineBytes
        guard content > limit else { return }
        throw NATSProtocolError("control line longer than \(limit) bytes without CRLF")
    }

    private func checkLength(of line: UnsafeRawBufferPointer) throws(NATSProtocolError) {
        guard line.count > maxControlLineBytes else { return }
        let limit = Self.isInfoLine(line) ? maxInfoLineBytes : maxControlLineBytes
        guard line.count > limit else { return }
        throw NATSProtocolError("control line of \(line.count) bytes exceeds the limit of \(limit) bytes")
    }

    /// Dispatches one complete control line (without its CRLF). A `MSG`/`HMSG` body follows
    /// in `body` from `index`; returns where the next op starts (or `body.count` when the
    /// body is still arriving).
    private mutating func handleLine(_ line: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, at index: Int,
                                     _ emit: (NATSServerOp) throws(NATSProtocolError) -> Void) throws(NATSProtocolError) -> Int {
        guard let first = line.first else { throw NATSProtocolError("empty control line") }
        guard !ASCII.isBlank(first) else {
            throw NATSProtocolError("control line starts with whitespace: \(Self.quote(line))")
        }
        var opEnd = 1
        while opEnd < line.count, !ASCII.isBlank(line[opEnd]) { opEnd += 1 }
        let op = 0..<opEnd
        // Most-frequent first: a busy connection is almost all MSG. Only MSG and HMSG are split
        // into fields; INFO's JSON and -ERR's text may hold any number of blanks.
        if Self.matches(line, op, "msg") {
            return try beginMessage(line, ControlFields(line), hasHeaders: false, body: body, at: index, emit)
        }
        if Self.matches(line, op, "hmsg") {
            return try beginMessage(line, ControlFields(line), hasHeaders: true, body: body, at: index, emit)
        }
        if Self.matches(line, op, "ping") {
            try Self.expectNoArguments(line, op, "PING")
            try emit(.ping)
        } else if Self.matches(line, op, "pong") {
            try Self.expectNoArguments(line, op, "PONG")
            try emit(.pong)
        } else if Self.matches(line, op, "+ok") {
            try Self.expectNoArguments(line, op, "+OK")
            try emit(.ok)
        } else if Self.matches(line, op, "-err") {
            try emit(.error(Self.errorText(Self.rest(of: line, after: op))))
        } else if Self.matches(line, op, "info") {
            let json = Self.rest(of: line, after: op)
            guard !json.isEmpty else { throw NATSProtocolError("INFO without a server description") }
            try emit(.info(NATSServerInfo(json: Array(json))))
        } else {
            throw NATSProtocolError("unknown protocol operation \(Self.quote(UnsafeRawBufferPointer(rebasing: line[op])))")
        }
        return index
    }

    // MARK: MSG and HMSG

    /// Reads `MSG <subject> <sid> [reply-to] <#bytes>` or
    /// `HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>`, then either completes
    /// the message from `body` at once (the whole body and its CRLF are there) or starts a
    /// partial one.
    private mutating func beginMessage(_ line: UnsafeRawBufferPointer, _ fields: ControlFields, hasHeaders: Bool,
                                       body: UnsafeRawBufferPointer, at index: Int,
                                       _ emit: (NATSServerOp) throws(NATSProtocolError) -> Void) throws(NATSProtocolError) -> Int {
        let op = hasHeaders ? "HMSG" : "MSG"
        // Fields: op, subject, sid, [reply-to], [header size], size.
        let sizeFields = hasHeaders ? 2 : 1
        let hasReply: Bool
        switch fields.count - sizeFields {
        case 3: hasReply = false
        case 4: hasReply = true
        default:
            throw NATSProtocolError(
                "\(op) needs \(2 + sizeFields) or \(3 + sizeFields) arguments, got \(fields.count - 1): \(Self.quote(line))")
        }
        let sid = try Self.number(line, fields[2], op, "subscription id")
        let total = try Self.size(line, fields[fields.count - 1], op, hasHeaders ? "total size" : "size")
        var headerLength = 0
        if hasHeaders {
            headerLength = try Self.size(line, fields[fields.count - 2], op, "header size")
        }
        guard total <= maxPayloadBytes else {
            throw NATSProtocolError("\(op) of \(total) bytes exceeds the limit of \(maxPayloadBytes) bytes")
        }
        if hasHeaders {
            guard headerLength <= total else {
                throw NATSProtocolError("HMSG header size \(headerLength) exceeds its total size \(total)")
            }
            guard headerLength >= NATSHeaderBlock.minimumLength else {
                throw NATSProtocolError("HMSG header block of \(headerLength) bytes cannot hold NATS/1.0 and its end")
            }
        }
        let subject = Self.string(line, fields[1])
        let replyTo = hasReply ? Self.string(line, fields[3]) : nil

        let end = index + total
        guard body.count - index - 2 >= total else {
            partial = PartialMessage(subject: subject, sid: sid, replyTo: replyTo, hasHeaders: hasHeaders,
                                     headerLength: headerLength, totalLength: total)
            if total > headerLength {
                // In one step, so a large payload arriving in pieces is not copied again each
                // time the array grows; the size is within the limit already.
                partial!.payload.reserveCapacity(total - headerLength)
            }
            return index
        }
        guard body[end] == ASCII.cr, body[end + 1] == ASCII.lf else {
            throw NATSProtocolError("\(op) payload of \(total) bytes is not followed by CRLF")
        }
        var header = NATSHeaderBlock()
        if hasHeaders {
            header = try NATSHeaderBlock(UnsafeRawBufferPointer(rebasing: body[index..<(index + headerLength)]))
        }
        let payload = Self.copy(UnsafeRawBufferPointer(rebasing: body[(index + headerLength)..<end]))
        try emit(.message(NATSMessage(subject: subject, sid: sid, replyTo: replyTo, status: header.status,
                                      statusDescription: header.statusDescription, headers: header.fields,
                                      payload: payload)))
        return end + 2
    }

    /// Takes the next bytes of a partial message's header block, payload and trailing CRLF;
    /// emits the message once its CRLF is complete.
    private mutating func continueMessage(_ bytes: UnsafeRawBufferPointer, at start: Int,
                                          _ emit: (NATSServerOp) throws(NATSProtocolError) -> Void) throws(NATSProtocolError) -> Int {
        var index = start
        let headerLength = partial!.headerLength
        let totalLength = partial!.totalLength
        if partial!.received < headerLength {
            let take = min(headerLength - partial!.received, bytes.count - index)
            pendingHeader.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
            partial!.received += take
            index += take
            guard partial!.received == headerLength else { return index }
            // Checked as soon as it is complete, so a bad block fails before its payload is kept.
            let header = pendingHeader.withUnsafeBytes { raw -> Result<NATSHeaderBlock, NATSProtocolError> in
                do throws(NATSProtocolError) { return .success(try NATSHeaderBlock(raw)) } catch { return .failure(error) }
            }
            partial!.header = try header.get()
            pendingHeader.removeAll(keepingCapacity: true)
        }
        if partial!.received < totalLength {
            let take = min(totalLength - partial!.received, bytes.count - index)
            partial!.payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
            partial!.received += take
            index += take
            guard partial!.received == totalLength else { return index }
        }
        while partial!.trailerReceived < 2, index < bytes.count {
            let expected = partial!.trailerReceived == 0 ? ASCII.cr : ASCII.lf
            guard bytes[index] == expected else {
                throw NATSProtocolError("\(partial!.hasHeaders ? "HMSG" : "MSG") payload of \(totalLength) bytes is not followed by CRLF")
            }
            partial!.trailerReceived += 1
            index += 1
        }
        guard partial!.trailerReceived == 2 else { return index }
        let done = partial!
        partial = nil
        try emit(.message(NATSMessage(subject: done.subject, sid: done.sid, replyTo: done.replyTo,
                                      status: done.header.status, statusDescription: done.header.statusDescription,
                                      headers: done.header.fields, payload: done.payload)))
        return index
    }

    // MARK: Field helpers

    /// The position of the first LF at or after `start`, if any. `memchr` because it scans
    /// many bytes per step: INFO lines run to kilobytes, and every MSG line passes here.
    private static func firstLF(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(ASCII.lf), bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether the bytes at `range` spell `lowercaseName` in any case. Only letters fold:
    /// folding by bit 0x20 alone would also let a vertical tab pass for `+` and a CR for `-`.
    private static func matches(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercaseName: StaticString) -> Bool {
        guard range.count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        for offset in 0..<range.count {
            let expected = name[offset]
            let actual = line[range.lowerBound + offset]
            guard actual == expected || (expected >= 0x61 && actual == expected &- 0x20) else { return false }
        }
        return true
    }

    private static func isInfoLine(_ line: UnsafeRawBufferPointer) -> Bool {
        line.count > 4 && matches(line, 0..<4, "info") && ASCII.isBlank(line[4])
    }

    private static func expectNoArguments(_ line: UnsafeRawBufferPointer, _ op: Range<Int>,
                                          _ name: String) throws(NATSProtocolError) {
        guard rest(of: line, after: op).isEmpty else {
            throw NATSProtocolError("\(name) takes no arguments: \(quote(line))")
        }
    }

    /// Everything after the op, without the blanks around it (INFO's JSON, -ERR's text).
    private static func rest(of line: UnsafeRawBufferPointer, after op: Range<Int>) -> UnsafeRawBufferPointer {
        var start = op.upperBound
        var end = line.count
        while start < end, ASCII.isBlank(line[start]) { start += 1 }
        while end > start, ASCII.isBlank(line[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: line[start..<end])
    }

    /// `-ERR 'Authorization Violation'` → `Authorization Violation`. Text without quotes is
    /// kept as it is rather than refused: the message matters more than its punctuation.
    private static func errorText(_ text: UnsafeRawBufferPointer) -> String {
        if text.count >= 2, text[0] == ASCII.quote, text[text.count - 1] == ASCII.quote {
            return String(decoding: UnsafeRawBufferPointer(rebasing: text[1..<(text.count - 1)]), as: UTF8.self)
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func string(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }

    /// An unsigned decimal field. The `what` strings only appear in errors.
    private static func number(_ line: UnsafeRawBufferPointer, _ range: Range<Int>,
                               _ op: String, _ what: String) throws(NATSProtocolError) -> UInt64 {
        var value: UInt64 = 0
        for index in range {
            let digit = line[index] &- ASCII.zero
            guard digit < 10 else {
                let text = quote(UnsafeRawBufferPointer(rebasing: line[range]))
                if line[range.lowerBound] == ASCII.minus, range.count > 1 {
                    throw NATSProtocolError("\(op) \(what) \(text) is negative")
                }
                throw NATSProtocolError("\(op) \(what) \(text) is not a number")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else {
                throw NATSProtocolError("\(op) \(what) \(quote(UnsafeRawBufferPointer(rebasing: line[range]))) is too large")
            }
            value = sum
        }
        return value
    }

    /// A byte count: a ``number(_:_:_:_:)`` that also fits in `Int`.
    private static func size(_ line: UnsafeRawBufferPointer, _ range: Range<Int>,
                             _ op: String, _ what: String) throws(NATSProtocolError) -> Int {
        let value = try number(line, range, op, what)
        guard value <= UInt64(Int.max) else {
            throw NATSProtocolError("\(op) \(what) \(quote(UnsafeRawBufferPointer(rebasing: line[range]))) is too large")
        }
        return Int(value)
    }

    /// One copy, straight from the input into the message's array.
    private static func copy(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source, byteCount: bytes.count)
            initialized = bytes.count
        }
    }

    /// Up to 64 bytes of a line for an error message, with invisible bytes escaped so the log
    /// shows what actually arrived.
    fileprivate static func quote(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = "\""
        for byte in bytes.prefix(64) {
            switch byte {
            case 0x22: text += "\\\""
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            case ASCII.cr: text += "\\r"
            case ASCII.lf: text += "\\n"
            case ASCII.tab: text += "\\t"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                text += byte < 0x10 ? "\\x0\(hex)" : "\\x\(hex)"
            }
        }
        if bytes.count > 64 { text += "…" }
        return text + "\""
    }
}

/// What is known of a message whose body is still arriving. A plain value, inside the parser.
private struct PartialMessage {
    let subject: String
    let sid: UInt64
    let replyTo: String?
    let hasHeaders: Bool
    let headerLength: Int
    let totalLength: Int
    /// Bytes of the body (header block, then payload) taken so far.
    var received = 0
    /// Bytes of the closing CRLF taken so far (0, 1 or 2).
    var trailerReceived = 0
    var header = NATSHeaderBlock()
    var payload: [UInt8] = []

    init(subject: String, sid: UInt64, replyTo: String?, hasHeaders: Bool, headerLength: Int, totalLength: Int) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.hasHeaders = hasHeaders
        self.headerLength = headerLength
        self.totalLength = totalLength
    }
}

/// The whitespace-separated fields of a control line, op included, as ranges into the line.
/// Held in fixed slots so that reading a line allocates nothing; six is the most any server
/// op has (`HMSG subject sid reply-to header-size total-size`).
///
/// A plain value, inside the parser.
private struct ControlFields {
    private(set) var count = 0
    private var slots: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>)
        = (0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0)

    /// - Throws: for more than six fields. The line starts with its op, not a blank.
    init(_ line: UnsafeRawBufferPointer) throws(NATSProtocolError) {
        guard let base = line.baseAddress else { return }
        let end = line.count
        var index = 0
        while index < end {
            let start = index
            while index < end, !ASCII.isBlank(base.load(fromByteOffset: index, as: UInt8.self)) { index += 1 }
            let field = start..<index
            switch count {
            case 0: slots.0 = field
            case 1: slots.1 = field
            case 2: slots.2 = field
            case 3: slots.3 = field
            case 4: slots.4 = field
            case 5: slots.5 = field
            default: throw NATSProtocolError("too many fields in control line \(NATSParser.quote(line))")
            }
            count += 1
            while index < end, ASCII.isBlank(base.load(fromByteOffset: index, as: UInt8.self)) { index += 1 }
        }
    }

    subscript(index: Int) -> Range<Int> {
        switch index {
        case 0: slots.0
        case 1: slots.1
        case 2: slots.2
        case 3: slots.3
        case 4: slots.4
        default: slots.5
        }
    }
}

/// An `HMSG` header block: `NATS/1.0[ <code>[ <description>]]` CRLF, then `Name: value` CRLF
/// lines, then an empty CRLF line, which ends the block exactly.
///
/// Refused as malformed: another version line, a bare CR or LF, a field line without a colon
/// or with blanks in its name (that includes obsolete folded continuation lines, which NATS
/// servers do not send), and anything after the empty line.
///
/// A plain value: the parser's, and JetStream's for headers that arrive base64-encoded in a
/// JSON reply (a stream message get). Any thread.
struct NATSHeaderBlock {
    var status: Int?
    var statusDescription: String?
    var fields: [NATSHeader] = []

    /// `NATS/1.0` CRLF CRLF: the smallest possible block.
    static let minimumLength = 12

    init() {}

    init(_ block: UnsafeRawBufferPointer) throws(NATSProtocolError) {
        let count = block.count
        guard count >= Self.minimumLength, Self.startsWithVersion(block) else {
            throw NATSProtocolError("HMSG header block does not start with NATS/1.0: \(NATSParser.quote(block))")
        }
        guard block[count - 4] == ASCII.cr, block[count - 3] == ASCII.lf,
              block[count - 2] == ASCII.cr, block[count - 1] == ASCII.lf else {
            throw NATSProtocolError("HMSG header block does not end with an empty line")
        }
        let versionEnd = 8
        let statusLineEnd = try Self.lineEnd(block, from: versionEnd)
        try readStatus(UnsafeRawBufferPointer(rebasing: block[versionEnd..<statusLineEnd]))

        var index = statusLineEnd + 2
        let blockEnd = count - 2  // where the final empty line starts
        while index < blockEnd {
            let end = try Self.lineEnd(block, from: index)
            guard end > index else {
                throw NATSProtocolError("HMSG header block has data after its empty line")
            }
            fields.append(try Self.field(UnsafeRawBufferPointer(rebasing: block[index..<end])))
            index = end + 2
        }
    }

    private static func startsWithVersion(_ block: UnsafeRawBufferPointer) -> Bool {
        let version: StaticString = "NATS/1.0"
        let bytes = version.utf8Start
        for offset in 0..<version.utf8CodeUnitCount where block[offset] != bytes[offset] {
            return false
        }
        return true
    }

    /// The position of the CR of the CRLF that ends the line starting at `start`.
    private static func lineEnd(_ block: UnsafeRawBufferPointer, from start: Int) throws(NATSProtocolError) -> Int {
        var index = start
        while index < block.count {
            switch block[index] {
            case ASCII.cr:
                guard index + 1 < block.count, block[index + 1] == ASCII.lf else {
                    throw NATSProtocolError("HMSG header block has a CR without LF")
                }
                return index
            case ASCII.lf:
                throw NATSProtocolError("HMSG header block has a bare LF")
            default:
                index += 1
            }
        }
        throw NATSProtocolError("HMSG header line has no CRLF")
    }

    /// What follows `NATS/1.0` on the first line: nothing, or blanks then an optional numeric
    /// code and an optional description. A first word that is not a number is taken as the
    /// description, since the code is information, not framing.
    private mutating func readStatus(_ text: UnsafeRawBufferPointer) throws(NATSProtocolError) {
        guard !text.isEmpty else { return }
        guard ASCII.isBlank(text[0]) else {
            throw NATSProtocolError("HMSG header block does not start with NATS/1.0: \(NATSParser.quote(text))")
        }
        var index = 0
        while index < text.count, ASCII.isBlank(text[index]) { index += 1 }
        let codeStart = index
        var code = 0
        // Nine digits cannot overflow Int; real codes have three.
        while index < text.count, index - codeStart < 9, case let digit = text[index] &- ASCII.zero, digit < 10 {
            code = code * 10 + Int(digit)
            index += 1
        }
        if index > codeStart, index == text.count || ASCII.isBlank(text[index]) {
            status = code
        } else {
            index = codeStart
        }
        let description = Self.trimmed(UnsafeRawBufferPointer(rebasing: text[index...]))
        if !description.isEmpty {
            statusDescription = String(decoding: description, as: UTF8.self)
        }
    }

    private static func field(_ line: UnsafeRawBufferPointer) throws(NATSProtocolError) -> NATSHeader {
        guard let colon = line.firstIndex(of: ASCII.colon) else {
            throw NATSProtocolError("HMSG header line without a colon: \(NATSParser.quote(line))")
        }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        guard !name.isEmpty, !name.contains(where: ASCII.isBlank) else {
            throw NATSProtocolError("HMSG header line with an invalid name: \(NATSParser.quote(line))")
        }
        let value = trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
        return NATSHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    private static func trimmed(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = text.count
        while start < end, ASCII.isBlank(text[start]) { start += 1 }
        while end > start, ASCII.isBlank(text[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: text[start..<end])
    }
}

/// The bytes the NATS wire format is made of. Constants and a pure function; any thread.
private enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x27  // '
    static let minus: UInt8 = 0x2D
    static let zero: UInt8 = 0x30
    static let colon: UInt8 = 0x3A

    /// NATS separates fields with spaces and tabs. Most bytes are above the space, and one
    /// compare settles them.
    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool { byte <= space && (byte == space || byte == tab) }
}
