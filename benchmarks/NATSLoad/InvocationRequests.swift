import BenchSupport
import OaasBus
import OaasProto
import SwiftProtobuf
import struct Foundation.Data

/// Every request the run sends, encoded once before the first one goes out: per object, its bus
/// key and the bytes of its `oprc.ObjectInvocationRequest`. A request then costs the generator
/// no protobuf encoding, and the echo responder and our agent get the very same bytes.
///
/// Rotation is global across callers, so with 64 callers and 64 objects the calls in flight are
/// spread over the objects rather than each caller keeping to one.
///
/// Loop-confined after creation.
final class InvocationRequests {
    /// `oprc/{cls}/{partition}/objects/{id}/invokes/{fn}`, one per object.
    let keys: [String]
    /// The encoded request for the object of the same index.
    let payloads: [[UInt8]]
    /// For the report, e.g. `math.Calculator/add payload '1' on objects 0..63`.
    let summary: String
    @exclusivity(unchecked) private var next = 0

    struct EncodingFailure: Error, CustomStringConvertible {
        let description: String
    }

    init(_ options: NATSLoadOptions) throws(EncodingFailure) {
        var keys: [String] = []
        var payloads: [[UInt8]] = []
        for object in 0..<options.objects {
            let objectID = String(object)
            var request = Oprc_ObjectInvocationRequest()
            request.clsID = options.classID
            request.partitionID = options.partition
            request.objectIDStr = objectID
            request.fnID = options.function
            request.payload = Data(options.payload.utf8)
            do {
                payloads.append(try request.serializedBytes())
            } catch {
                throw EncodingFailure(description: "could not encode the ObjectInvocationRequest: \(error)")
            }
            keys.append(BusKey.object(classID: options.classID, partition: options.partition, objectID: objectID,
                                      function: options.function))
        }
        self.keys = keys
        self.payloads = payloads
        let sizes = Set(payloads.map(\.count)).sorted().map(String.init).joined(separator: "/")
        summary = "ObjectInvocationRequest \(options.classID)/\(options.function) payload '\(options.payload)' "
            + "on objects 0..\(options.objects - 1), \(sizes)-byte requests"
    }

    /// The index of the next request's object.
    @inline(__always)
    func nextIndex() -> Int {
        let index = next
        next += 1
        if next == keys.count { next = 0 }
        return index
    }

    /// The NATS subject a class-wide agent for `function` subscribes (the object segment is the
    /// NATS wildcard `*`): what the echo responder must subscribe to stand in for our agent.
    static func classWideSubject(_ options: NATSLoadOptions) -> String {
        BusKey.subject(forKey: BusKey.objectPattern(classID: options.classID, partition: options.partition,
                                                    function: options.function))
    }
}
