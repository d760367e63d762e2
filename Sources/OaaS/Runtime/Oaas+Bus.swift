import OaasBus
import OaasProto
import SwiftProtobuf
import struct Foundation.Data

/// Calling objects through the message bus: what another service, a test, or an object calling
/// another object uses to reach agents, in this process or (over NATS) anywhere.
extension Oaas {
    /// Calls method `function` of object `objectID` of class `classID` through the bus, as an
    /// `ObjectInvocationRequest` on `oprc/{classID}/{partition}/objects/{objectID}/invokes/{function}`.
    ///
    /// - Parameters:
    ///   - payload: the argument bytes (JSON, as for gRPC calls).
    ///   - partition: `nil` means the configured default partition.
    ///   - timeout: `nil` means ``OaasConfig/busRequestTimeout``.
    /// - Returns: the agent's `InvocationResponse`, whatever its status (an application error
    ///   is a response, not a throw).
    /// - Throws: ``BusCallError`` when no usable reply came: timed out, no agent serves the key,
    ///   the bus is unreachable, or the reply is not an `InvocationResponse`.
    /// Any thread or task.
    public func invokeViaBus(_ classID: String, objectID: String, function: String, payload: [UInt8] = [],
                             partition: UInt32? = nil, timeout: Duration? = nil) async throws(BusCallError) -> Oprc_InvocationResponse {
        let partition = partition ?? config.defaultPartition
        let key = BusKey.object(classID: classID, partition: partition, objectID: objectID, function: function)
        if let problem = Invocation.problem(withBusObjectID: objectID) {
            throw BusCallError(.invalidCall(cause: problem), key: key)
        }
        var request = Oprc_ObjectInvocationRequest()
        request.clsID = classID
        request.partitionID = partition
        request.objectIDStr = objectID
        request.fnID = function
        request.payload = Data(payload)
        return try await send(request, key: key, timeout: timeout)
    }

    /// Calls the stateless function `function` of class `classID` through the bus, as an
    /// `InvocationRequest` on `oprc/{classID}/{partition}/invokes/{function}`; see
    /// ``invokeViaBus(_:objectID:function:payload:partition:timeout:)``.
    public func invokeFunctionViaBus(_ classID: String, function: String, payload: [UInt8] = [],
                                     partition: UInt32? = nil, timeout: Duration? = nil) async throws(BusCallError) -> Oprc_InvocationResponse {
        let partition = partition ?? config.defaultPartition
        var request = Oprc_InvocationRequest()
        request.clsID = classID
        request.partitionID = partition
        request.fnID = function
        request.payload = Data(payload)
        return try await send(request, key: BusKey.function(classID: classID, partition: partition, function: function), timeout: timeout)
    }

    private func send(_ message: some SwiftProtobuf.Message, key: String, timeout: Duration?) async throws(BusCallError) -> Oprc_InvocationResponse {
        let bytes: [UInt8]
        do {
            bytes = try message.serializedBytes()
        } catch {
            throw BusCallError(.invalidCall(cause: "\(error)"), key: key)
        }
        if let problem = configurationProblem {
            throw BusCallError(.busUnavailable(cause: problem.message), key: key)
        }
        let host: AgentHost
        do {
            host = try agentHost(loop: nil)
        } catch {
            throw BusCallError(.busUnavailable(cause: "\(error)"), key: key)
        }
        let timeout = timeout ?? config.busRequestTimeout
        let outcome: Result<[UInt8], BusError> = await host.loop.awaitCompletion(orElse: .failure(BusError(.closed))) { finish in
            host.withBus { result in
                switch result {
                case .success(let bus): bus.request(key: key, payload: bytes, timeout: timeout, completion: finish)
                case .failure(let error): finish(.failure(error))
                }
            }
        }
        switch outcome {
        case .success(let reply):
            do {
                return try Oprc_InvocationResponse(serializedBytes: reply)
            } catch {
                throw BusCallError(.invalidReply(cause: "\(error)"), key: key)
            }
        case .failure(let error):
            throw BusCallError(error, key: key)
        }
    }
}
