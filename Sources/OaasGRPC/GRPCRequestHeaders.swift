/// Reads one request header into a call. Headers arrive as bytes; only what the call needs
/// becomes a String.
enum GRPCRequestHeaders {
    static func apply(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to call: GRPCServerCall) {
        guard let first = name.first else { return }
        if first == UInt8(ascii: ":") {
            if name.elementsEqual(":path".utf8) {
                call.path = String(decoding: value, as: UTF8.self)
            } else if name.elementsEqual(":method".utf8) {
                call.isPost = value.elementsEqual("POST".utf8)
            }
            return
        }
        if first == UInt8(ascii: "c"), name.elementsEqual("content-type".utf8) {
            call.hasGRPCContentType = value.starts(with: "application/grpc".utf8)
                && (value.count == 16 || value[16] == UInt8(ascii: "+") || value[16] == UInt8(ascii: ";"))
            return
        }
        if first == UInt8(ascii: "g"), name.starts(with: "grpc-".utf8) {
            if name.elementsEqual("grpc-timeout".utf8) {
                if let milliseconds = GRPCTimeout.parseMilliseconds(value) {
                    call.deadline = call.connection.server.loop.nowMilliseconds + milliseconds
                } else {
                    call.malformedTimeout = true
                }
            } else if name.elementsEqual("grpc-encoding".utf8) {
                if let encoding = GRPCCompression.Encoding(headerValue: value) {
                    call.requestEncoding = encoding
                } else {
                    call.unsupportedEncoding = String(decoding: value, as: UTF8.self)
                }
            }
            // Other grpc-* headers are reserved by the protocol, not metadata.
            return
        }
        if first == UInt8(ascii: "t"), name.elementsEqual("te".utf8) { return }
        call.metadata.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }
}
