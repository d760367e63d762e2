#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gRPC client made of pre-encoded HTTP/2 frames on a plain socket, so that a benchmark of the
/// whole server in one process counts only the server's allocations: per request it copies two
/// frame templates into a reused buffer and patches the stream id, writes with `write(2)`, and
/// reads the answers into a fixed buffer and throws them away (the benchmark learns that calls
/// finished from the server's own counters).
///
/// Headers are HPACK-encoded as real clients (grpcio, grpc-go, h2load) encode them: the first
/// request adds `:path`, `:authority`, `content-type` and `te` to the dynamic table, later ones
/// name them by index, so the server decodes them as it would in production.
///
/// Not a general client: no flow-control bookkeeping (it opens both windows to the maximum at
/// the start, which covers far more than one benchmark iteration), no parsing of responses.
/// Benchmark thread only.
final class LoopbackGRPCClient {
    private let socket: Int32
    private var output: [UInt8] = []
    private var written = 0
    private var nextStreamID: UInt32 = 1
    private var indexedHeaders = false
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    /// Whether the server has closed its side.
    private(set) var sawEndOfStream = false

    private static let path = "/oprc.OprcFunction/InvokeObj"
    private static let authority = "127.0.0.1"

    /// Connects to `127.0.0.1:port` (the listener's backlog completes the handshake, so the
    /// loop need not turn) and queues the connection preface, SETTINGS and a connection
    /// WINDOW_UPDATE.
    init(port: Int) {
        #if canImport(Glibc)
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        precondition(socket >= 0, "socket() failed: errno \(errno)")
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(Self.authority)
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(status == 0, "connect() to port \(port) failed: errno \(errno)")
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
        output.reserveCapacity(64 << 10)

        output += Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        // SETTINGS: no push; each stream's window at the maximum.
        appendFrameHeader(length: 12, type: 0x4, flags: 0, streamID: 0)
        appendSetting(0x2, 0)
        appendSetting(0x4, 0x7FFF_FFFF)
        // The connection's window from 65,535 to the maximum.
        appendFrameHeader(length: 4, type: 0x8, flags: 0, streamID: 0)
        appendUInt32(0x7FFF_FFFF - 65_535)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Queues `SETTINGS` with the ACK flag: call once the server's first SETTINGS has come in.
    func acknowledgeSettings() {
        appendFrameHeader(length: 0, type: 0x4, flags: 0x1, streamID: 0)
    }

    /// Queues one unary call: HEADERS (END_HEADERS) and DATA (END_STREAM) carrying `body`, the
    /// gRPC-framed request. Allocation-free once the output buffer has grown.
    func queueCall(body: [UInt8]) {
        let streamID = nextStreamID
        nextStreamID += 2
        if indexedHeaders {
            appendFrameHeader(length: Self.indexedHeaderBlock.count, type: 0x1, flags: 0x4, streamID: streamID)
            output.append(contentsOf: Self.indexedHeaderBlock)
        } else {
            indexedHeaders = true
            appendFrameHeader(length: Self.firstHeaderBlock.count, type: 0x1, flags: 0x4, streamID: streamID)
            output.append(contentsOf: Self.firstHeaderBlock)
        }
        appendFrameHeader(length: body.count, type: 0x0, flags: 0x1, streamID: streamID)
        output.append(contentsOf: body)
    }

    /// Writes what the socket takes of the queued bytes. Returns true once all are written.
    @discardableResult
    func flush() -> Bool {
        while written < output.count {
            let count = output.withUnsafeBytes { bytes in
                write(socket, bytes.baseAddress! + written, bytes.count - written)
            }
            if count < 0 {
                precondition(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "write() failed: errno \(errno)")
                return false
            }
            written += count
        }
        output.removeAll(keepingCapacity: true)
        written = 0
        return true
    }

    /// Reads and discards everything the server has sent so far. Returns the bytes read.
    @discardableResult
    func drain() -> Int {
        var total = 0
        while true {
            let count = read(socket, readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                total += count
                continue
            }
            if count == 0 {
                sawEndOfStream = true
            } else {
                precondition(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "read() failed: errno \(errno)")
            }
            return total
        }
    }

    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(socket)
        #else
        _ = Darwin.close(socket)
        #endif
    }

    // MARK: Encoding

    /// `:method POST` and `:scheme http` from the static table, then the four fields with
    /// incremental indexing (names from the static table where it has them).
    private static let firstHeaderBlock: [UInt8] = {
        var block: [UInt8] = [0x83, 0x86]
        block += [0x44] + literal(path)  // :path, static name 4
        block += [0x41] + literal(authority)  // :authority, static name 1
        block += [0x5F] + literal("application/grpc")  // content-type, static name 31
        block += [0x40] + literal("te") + literal("trailers")  // new name
        return block
    }()

    /// The same header list once the first block has filled the dynamic table: te is entry 62,
    /// content-type 63, :authority 64, :path 65.
    private static let indexedHeaderBlock: [UInt8] = [0x83, 0x86, 0x80 | 65, 0x80 | 64, 0x80 | 63, 0x80 | 62]

    /// An HPACK string literal without Huffman coding; every string here is under 127 bytes.
    private static func literal(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        precondition(bytes.count < 127)
        return [UInt8(bytes.count)] + bytes
    }

    private func appendFrameHeader(length: Int, type: UInt8, flags: UInt8, streamID: UInt32) {
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
        output.append(type)
        output.append(flags)
        appendUInt32(streamID)
    }

    private func appendSetting(_ identifier: UInt16, _ value: UInt32) {
        output.append(UInt8(identifier >> 8))
        output.append(UInt8(truncatingIfNeeded: identifier))
        appendUInt32(value)
    }

    private func appendUInt32(_ value: UInt32) {
        output.append(UInt8(value >> 24))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value))
    }
}
