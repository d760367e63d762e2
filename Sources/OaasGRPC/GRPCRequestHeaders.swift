/// Reads one request header into a call. Headers arrive as bytes; only what the call needs
/// is kept, and nothing becomes a String on the common path.
enum GRPCRequestHeaders {
    static func apply(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to call: GRPCServerCall) {
        guard let first = name.first else { return }
        if first == UInt8(ascii: ":") {
            if name.equals(":path") {
                call.route = call.connection.server.route(matching: value)
                if call.route == nil { call.unroutedPath = String(decoding: value, as: UTF8.self) }
            } else if name.equals(":method") {
                call.isPost = value.equals("POST")
            }
            return
        }
        if first == UInt8(ascii: "c"), name.equals("content-type") {
            call.hasGRPCContentType = value.hasPrefix("application/grpc")
                && (value.count == 16 || value[16] == UInt8(ascii: "+") || value[16] == UInt8(ascii: ";"))
            return
        }
        if first == UInt8(ascii: "g"), name.hasPrefix("grpc-") {
            if name.equals("grpc-timeout") {
                if let milliseconds = GRPCTimeout.parseMilliseconds(value) {
                    call.deadline = call.connection.server.loop.nowMilliseconds + milliseconds
                } else {
                    call.malformedTimeout = true
                }
            } else if name.equals("grpc-encoding") {
                if let encoding = GRPCCompression.Encoding(headerValue: value) {
                    call.requestEncoding = encoding
                } else {
                    call.unsupportedEncoding = String(decoding: value, as: UTF8.self)
                }
            }
            // Other grpc-* headers are reserved by the protocol, not metadata.
            return
        }
        if first == UInt8(ascii: "t"), name.equals("te") { return }
        call.appendMetadata(name: name, value: value)
    }
}
