// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.
import Logging
import OaasLoop
import struct Foundation.Data

/// One object's queue of waiting calls (the internal `ObjectActivation`), filled with copies of
/// one real `PendingCall` of a registered service, as the engine queues calls for a busy object.
///
/// Not API. Loop-confined like the activation: one thread at a time.
@_spi(Benchmarks)
public final class ObjectActivationBenchmarkHook {
    private let activation = ObjectActivation()
    private let call: PendingCall

    /// - Parameters:
    ///   - type: the service whose method the queued calls name.
    ///   - functionID: a method of `type`; a name it does not have traps.
    ///   - objectID: the object the calls wait for.
    ///   - payload: each call's argument bytes.
    /// - Throws: ``RegistrationError`` for a malformed service definition.
    public init<Service: OaasService>(serving type: Service.Type, functionID: String, objectID: String,
                                      payload: Data) throws(RegistrationError) {
        let service = try ServiceRegistry().register(type)
        guard let method = service.methods[functionID] else {
            preconditionFailure("\(service.classID) has no method \(functionID)")
        }
        let invocation = Invocation(kind: .object, classID: service.classID, functionID: functionID,
                                    partitionID: 0, objectID: objectID, payload: payload)
        // A queued call names the engine that accepted it; this one never runs anything (its
        // loop is an embedded one that is never run).
        let loop = try! EventLoop.makeEmbedded(name: "benchmark-activation")
        let engine = InvocationEngine(loop: loop, strategy: .inline, registry: ServiceRegistry(), store: InMemoryObjectStore(),
                                      maxPendingPerObject: .max, logger: Logger(label: "benchmark"))
        call = PendingCall(engine: engine, service: service, method: method, invocation: invocation,
                           identity: ObjectIdentity(classID: service.classID, partitionID: 0, objectID: objectID),
                           reply: ClosureReply { _ in })
    }

    /// Queues the call `count` times, then takes every waiting call out in order.
    /// - Returns: how many calls came out (`count`, unless the queue is broken).
    /// The thread that owns this object.
    public func enqueueThenDequeue(_ count: Int) -> Int {
        for _ in 0..<count { activation.enqueue(call) }
        var dequeued = 0
        while activation.dequeue() != nil { dequeued += 1 }
        return dequeued
    }
}
