import OaasProto
import SwiftProtobuf
import struct Foundation.Data

/// The inputs every benchmark reads, built once and outside the measured region: the requests
/// of `make bench-grpc`'s oaas-load scenario (`InvokeObj math.Calculator/add`, payload `1`,
/// objects `obj-0`...`obj-63`), the echo payload h2load sends, and NATS traffic of the same
/// calls. Immutable; any thread.
enum Fixtures {
    static let classID = "math.Calculator"
    /// A power of two, so a benchmark picks an object with `iteration & objectMask`.
    static let objectCount = 64
    static let objectMask = objectCount - 1
    static let objectIDs = (0..<objectCount).map { "obj-\($0)" }
    static let addPayload = Data("1".utf8)
    /// The payload h2load and the echo scenarios send.
    static let echoPayload = Data(#"{"a":1,"b":2}"#.utf8)

    /// The encoded `oprc.InvocationResponse` of an echo call.
    static let echoResponse: [UInt8] = {
        var response = Oprc_InvocationResponse()
        response.payload = echoPayload
        return try! response.serializedBytes()
    }()

    /// One encoded `oprc.ObjectInvocationRequest` per object (no gRPC prefix).
    static func requests(function: String, payload: Data) -> [[UInt8]] {
        objectIDs.map { objectID in
            var request = Oprc_ObjectInvocationRequest()
            request.clsID = classID
            request.fnID = function
            request.objectIDStr = objectID
            request.payload = payload
            return try! request.serializedBytes()
        }
    }

    /// `message` behind its 5-byte gRPC prefix, as one DATA frame carries a unary request.
    static func grpcFramed(_ message: [UInt8]) -> [UInt8] {
        let length = UInt32(message.count)
        return [0, UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + message
    }

    /// The NATS subject an agent of `obj-<index>` listens on (OaasBus's key-to-subject rule).
    static func natsSubject(_ index: Int) -> String {
        "oprc.math~2ECalculator.0.objects.obj-\(index).invokes.add"
    }

    /// A requester's reply subject: `_INBOX.<22-character prefix>.<n>`.
    static func natsInbox(_ index: Int) -> String {
        "_INBOX.Xq3vB7kP9mZt2LwR8nYc4d.\(index)"
    }

    /// `count` server ops as an agent receives requests: `MSG` with a reply subject and an
    /// encoded request, or (`headers`) `HMSG` with one header field as well.
    static func natsTraffic(count: Int, headers: Bool) -> [UInt8] {
        let requests = requests(function: "add", payload: addPayload)
        var bytes: [UInt8] = []
        for index in 0..<count {
            let object = index & objectMask
            let payload = requests[object]
            if headers {
                let block = Array("NATS/1.0\r\nNats-Msg-Id: call-\(index)\r\n\r\n".utf8)
                bytes += Array("HMSG \(natsSubject(object)) 1 \(natsInbox(index)) \(block.count) \(block.count + payload.count)\r\n".utf8)
                bytes += block
            } else {
                bytes += Array("MSG \(natsSubject(object)) 1 \(natsInbox(index)) \(payload.count)\r\n".utf8)
            }
            bytes += payload
            bytes += Array("\r\n".utf8)
        }
        return bytes
    }
}
