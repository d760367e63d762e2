internal import CZlib

/// The message encodings this server understands (`grpc-encoding`).
enum GRPCCompression {
    /// What we send as `grpc-accept-encoding`.
    static let acceptedEncodings = "identity,gzip"

    enum Encoding {
        case identity
        case gzip

        init?(headerValue: UnsafeRawBufferPointer) {
            if headerValue.equals("identity") {
                self = .identity
            } else if headerValue.equals("gzip") {
                self = .gzip
            } else {
                return nil
            }
        }
    }

    /// Inflates a gzip message.
    /// - Throws: `.resourceExhausted` when the output would pass `limit` (a decompression
    ///   bomb is stopped as soon as it passes it), `.internal` for corrupt data.
    static func gunzip(_ input: [UInt8], limit: Int) throws(GRPCStatus) -> [UInt8] {
        var stream = z_stream()
        guard oaas_gzip_inflate_init(&stream) == Z_OK else {
            throw GRPCStatus(.internal, "could not start gzip decompression")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var status: Int32 = Z_OK
        var inputCopy = input
        try inputCopy.withUnsafeMutableBufferPointer { (source) throws(GRPCStatus) in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return buffer.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw GRPCStatus(.internal, "corrupt gzip message (zlib status \(status))")
                }
                guard output.count + produced <= limit else {
                    throw GRPCStatus(.resourceExhausted,
                                     "decompressed message is larger than the limit of \(limit) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
                if produced == 0, stream.avail_in == 0, status != Z_STREAM_END {
                    throw GRPCStatus(.internal, "truncated gzip message")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Compresses a message with gzip.
    static func gzip(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard oaas_gzip_deflate_init(&stream, Z_DEFAULT_COMPRESSION) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var inputCopy = input
        let written: Int = inputCopy.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                _ = deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(written...)
        return output
    }
}
