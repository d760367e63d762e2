/// Writes the commands a NATS client sends, appending their bytes to an output buffer the
/// caller reuses (so commands coalesce into one write per loop turn and nothing here
/// allocates once the buffer has grown).
///
/// Subjects, queue groups and header fields are written as given: they must not contain
/// blanks, CR or LF (``isValidSubject(_:)``, ``isValidHeader(name:value:)``), or they would
/// split the command and let one command smuggle in another. Debug builds assert it.
///
/// Any thread (pure functions); the buffer belongs to the caller.
enum NATSCommand {
    /// `CONNECT {json}`: the options as one JSON object, keys as the protocol names them,
    /// `nil` options left out, strings escaped as JSON requires.
    static func connect(_ options: NATSConnectOptions, into buffer: inout [UInt8]) {
        var json = JSONObjectWriter(into: &buffer, after: "CONNECT ")
        json.member("verbose", options.verbose, into: &buffer)
        json.member("pedantic", options.pedantic, into: &buffer)
        // Always false: this client speaks plain TCP only.
        json.member("tls_required", false, into: &buffer)
        if let name = options.name { json.member("name", name, into: &buffer) }
        json.member("lang", options.lang, into: &buffer)
        json.member("version", options.version, into: &buffer)
        json.member("protocol", options.protocolVersion, into: &buffer)
        json.member("headers", options.headers, into: &buffer)
        json.member("no_responders", options.noResponders, into: &buffer)
        json.member("echo", options.echo, into: &buffer)
        if let token = options.authToken { json.member("auth_token", token, into: &buffer) }
        if let user = options.user { json.member("user", user, into: &buffer) }
        if let password = options.password { json.member("pass", password, into: &buffer) }
        buffer.append(UInt8(ascii: "}"))
        appendCRLF(&buffer)
    }

    /// `PING`: asks the server to answer `PONG`.
    static func ping(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "PING\r\n".utf8)
    }

    /// `PONG`: the answer to the server's `PING`.
    static func pong(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "PONG\r\n".utf8)
    }

    /// `SUB <subject> [queue group] <sid>`: subscriptions with the same queue group share the
    /// messages, each going to one of them.
    static func subscribe(subject: String, queueGroup: String?, sid: UInt64, into buffer: inout [UInt8]) {
        assert(isValidSubject(subject), "invalid NATS subject \(subject)")
        buffer.append(contentsOf: "SUB ".utf8)
        buffer.append(contentsOf: subject.utf8)
        buffer.append(ASCIISpace)
        if let queueGroup {
            assert(isValidSubject(queueGroup), "invalid NATS queue group \(queueGroup)")
            buffer.append(contentsOf: queueGroup.utf8)
            buffer.append(ASCIISpace)
        }
        appendDecimal(sid, to: &buffer)
        appendCRLF(&buffer)
    }

    /// `UNSUB <sid> [max msgs]`: without `maxMessages`, at once; with it, after that many
    /// messages in total have been delivered.
    static func unsubscribe(sid: UInt64, maxMessages: Int? = nil, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "UNSUB ".utf8)
        appendDecimal(sid, to: &buffer)
        if let maxMessages {
            precondition(maxMessages >= 0, "UNSUB max messages cannot be negative")
            buffer.append(ASCIISpace)
            appendDecimal(UInt64(maxMessages), to: &buffer)
        }
        appendCRLF(&buffer)
    }

    /// `PUB <subject> [reply-to] <#bytes>` CRLF payload CRLF.
    static func publish(subject: String, replyTo: String?, payload: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        appendPublishLine("PUB ", subject: subject, replyTo: replyTo, headerBytes: nil, totalBytes: payload.count, to: &buffer)
        buffer.append(contentsOf: payload)
        appendCRLF(&buffer)
    }

    /// `HPUB <subject> [reply-to] <#header bytes> <#total bytes>` CRLF, then the header block
    /// (`NATS/1.0` CRLF, a `Name: value` CRLF line per field, CRLF), the payload and CRLF. The
    /// header count covers the whole block, the total count the block plus the payload.
    /// - Returns: the header block's size in bytes.
    @discardableResult
    static func publish(subject: String, replyTo: String?, headers: [NATSHeader],
                        payload: UnsafeRawBufferPointer, into buffer: inout [UInt8]) -> Int {
        let headerBytes = headerBlockSize(headers)
        appendPublishLine("HPUB ", subject: subject, replyTo: replyTo, headerBytes: headerBytes,
                          totalBytes: headerBytes + payload.count, to: &buffer)
        buffer.append(contentsOf: versionLine)
        for field in headers {
            buffer.append(contentsOf: field.name.utf8)
            buffer.append(contentsOf: ": ".utf8)
            buffer.append(contentsOf: field.value.utf8)
            appendCRLF(&buffer)
        }
        appendCRLF(&buffer)
        buffer.append(contentsOf: payload)
        appendCRLF(&buffer)
        return headerBytes
    }

    /// Whether `subject` can be written in a command: not empty, no blanks or control bytes
    /// (wildcards are the server's business).
    static func isValidSubject(_ subject: String) -> Bool {
        !subject.isEmpty && !subject.utf8.contains { $0 <= ASCIISpace || $0 == 0x7F }
    }

    /// Whether a header field can be written: a name of visible characters without a colon, and
    /// a value without CR or LF.
    static func isValidHeader(_ field: NATSHeader) -> Bool {
        isValidHeader(name: field.name, value: field.value)
    }

    /// See ``isValidHeader(_:)``.
    static func isValidHeader(name: String, value: String) -> Bool {
        !name.isEmpty && !name.utf8.contains { $0 <= ASCIISpace || $0 == 0x7F || $0 == UInt8(ascii: ":") }
            && !value.utf8.contains { $0 == 0x0D || $0 == 0x0A }
    }

    /// The bytes of the header block `HPUB` writes for `headers`: the version line, a line per
    /// field, the empty line. Asserts each field is valid.
    static func headerBlockSize(_ headers: [NATSHeader]) -> Int {
        var size = versionLine.count + 2
        for field in headers {
            assert(isValidHeader(field), "invalid NATS header \(field.name)")
            size += field.name.utf8.count + 2 + field.value.utf8.count + 2
        }
        return size
    }

    // MARK: Pieces

    private static let ASCIISpace = UInt8(ascii: " ")
    private static let versionLine: [UInt8] = Array("NATS/1.0\r\n".utf8)

    private static func appendPublishLine(_ op: StaticString, subject: String, replyTo: String?,
                                          headerBytes: Int?, totalBytes: Int, to buffer: inout [UInt8]) {
        assert(isValidSubject(subject), "invalid NATS subject \(subject)")
        buffer.append(contentsOf: UnsafeRawBufferPointer(start: op.utf8Start, count: op.utf8CodeUnitCount))
        buffer.append(contentsOf: subject.utf8)
        buffer.append(ASCIISpace)
        if let replyTo {
            assert(isValidSubject(replyTo), "invalid NATS reply subject \(replyTo)")
            buffer.append(contentsOf: replyTo.utf8)
            buffer.append(ASCIISpace)
        }
        if let headerBytes {
            appendDecimal(UInt64(headerBytes), to: &buffer)
            buffer.append(ASCIISpace)
        }
        appendDecimal(UInt64(totalBytes), to: &buffer)
        appendCRLF(&buffer)
    }

    @inline(__always)
    private static func appendCRLF(_ buffer: inout [UInt8]) {
        buffer.append(0x0D)
        buffer.append(0x0A)
    }

    /// Digits straight into the buffer: string interpolation would allocate per command.
    static func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
        // UInt64.max has 20 digits; they come out last-first, so they go to stack space first.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Writes JSON string contents: `"` and `\` escaped, control bytes as short escapes or
    /// `\u00XX`; everything else, UTF-8 included, as it is (valid JSON).
    static func appendJSONString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): buffer.append(contentsOf: #"\\"#.utf8)
            case 0x0A: buffer.append(contentsOf: #"\n"#.utf8)
            case 0x0D: buffer.append(contentsOf: #"\r"#.utf8)
            case 0x09: buffer.append(contentsOf: #"\t"#.utf8)
            case 0x08: buffer.append(contentsOf: #"\b"#.utf8)
            case 0x0C: buffer.append(contentsOf: #"\f"#.utf8)
            case 0x00..<0x20:
                let low = byte & 0x0F
                buffer.append(contentsOf: #"\u00"#.utf8)
                buffer.append(UInt8(ascii: "0") + (byte >> 4))
                buffer.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
            default:
                buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}

/// Writes the members of one JSON object, with the commas between them. A plain value used
/// inside one command; the buffer belongs to the caller.
private struct JSONObjectWriter {
    private var first = true

    init(into buffer: inout [UInt8], after prefix: String) {
        buffer.append(contentsOf: prefix.utf8)
        buffer.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ key: String, into buffer: inout [UInt8]) {
        if !first { buffer.append(UInt8(ascii: ",")) }
        first = false
        NATSCommand.appendJSONString(key, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
    }

    mutating func member(_ name: String, _ value: Bool, into buffer: inout [UInt8]) {
        key(name, into: &buffer)
        buffer.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func member(_ name: String, _ value: Int, into buffer: inout [UInt8]) {
        key(name, into: &buffer)
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        NATSCommand.appendDecimal(UInt64(value.magnitude), to: &buffer)
    }

    mutating func member(_ name: String, _ value: String, into buffer: inout [UInt8]) {
        key(name, into: &buffer)
        NATSCommand.appendJSONString(value, to: &buffer)
    }
}
