import OaasProto
import SwiftProtobuf
import struct Foundation.Data

#if canImport(Glibc)
import Glibc
#endif

/// Every request body the run sends, encoded once before the first connection opens, so a
/// request costs no protobuf encoding: it only copies one of these into its DATA frame.
///
/// Rotation is global (not per connection), so with 64 bodies and any connection count the
/// calls are spread evenly over the 64 objects.
///
/// Loop-confined after creation.
final class RequestBodies {
    /// The bodies, each as it goes on the wire (for gRPC: the 5-byte prefix and the message).
    let bodies: [[UInt8]]
    /// A human-readable description for the report (e.g. `math.Calculator/add on 64 objects`).
    let summary: String
    @exclusivity(unchecked) private var next = 0

    private init(bodies: [[UInt8]], summary: String) {
        self.bodies = bodies
        self.summary = summary
    }

    /// The body for the next request.
    @inline(__always)
    func nextBody() -> [UInt8] {
        let body = bodies[next]
        next += 1
        if next == bodies.count { next = 0 }
        return body
    }

    struct LoadFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func make(_ source: LoadOptions.BodySource) throws(LoadFailure) -> RequestBodies {
        switch source {
        case .empty:
            return RequestBodies(bodies: [[]], summary: "empty body")
        case .files(let paths):
            var bodies: [[UInt8]] = []
            for path in paths { bodies.append(try readFile(path)) }
            let sizes = Set(bodies.map(\.count)).sorted().map(String.init).joined(separator: "/")
            return RequestBodies(bodies: bodies, summary: "\(paths.count) body file(s), \(sizes) bytes")
        case .invokeObject(let spec):
            var bodies: [[UInt8]] = []
            for index in 0..<spec.objectCount {
                var request = Oprc_ObjectInvocationRequest()
                request.clsID = spec.classID
                request.fnID = spec.functionID
                request.payload = Data(spec.payload.utf8)
                request.objectIDStr = "obj-\(index)"
                let message: [UInt8]
                do {
                    message = try request.serializedBytes()
                } catch {
                    throw LoadFailure(description: "could not encode the InvokeObj request: \(error)")
                }
                bodies.append(grpcFrame(message))
            }
            let sizes = Set(bodies.map(\.count)).sorted().map(String.init).joined(separator: "/")
            return RequestBodies(
                bodies: bodies,
                summary: "InvokeObj \(spec.classID)/\(spec.functionID) payload '\(spec.payload)' on "
                    + "\(spec.objectCount) objects (obj-0..obj-\(spec.objectCount - 1)), \(sizes)-byte bodies")
        }
    }

    /// The gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length.
    static func grpcFrame(_ message: [UInt8]) -> [UInt8] {
        let length = UInt32(message.count)
        var framed: [UInt8] = [0, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        framed.append(contentsOf: message)
        return framed
    }

    private static func readFile(_ path: String) throws(LoadFailure) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw LoadFailure(description: "cannot open body file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count { break }
        }
        if ferror(file) != 0 { throw LoadFailure(description: "cannot read body file '\(path)'") }
        return bytes
    }
}
