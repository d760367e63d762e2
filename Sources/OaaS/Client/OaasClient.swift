import OaasGRPC
import OaasLoop
import OaasProto
import SwiftProtobuf

/// The built-in client of `oprc.OprcFunction`: calls a runtime's gRPC server (ours or any
/// other platform's) from Swift, with `async` methods.
///
/// Calls share one HTTP/2 connection on a loop: the caller's, or one the client starts and ends
/// itself. Any thread or task.
public final class OaasClient: @unchecked Sendable {
    // @unchecked: `grpc` is touched only on `loop`'s thread; the rest is immutable.
    private let loop: EventLoop
    private let ownsLoop: Bool
    private let grpc: UncheckedTransfer<GRPCClient>

    /// Makes a client for the server at `host:port`: an IP literal, `localhost` or a host name
    /// (looked up without blocking the loop when the connection opens).
    /// - Parameter loop: the loop to run on; `nil` starts one for the client.
    /// - Throws: `LoopError` when the loop cannot start or the address is invalid.
    /// Any thread; with a caller's loop, that loop must be running (or this be its thread).
    /// Call ``close()`` when done: it ends the connection and the client's own loop.
    public init(host: String = "127.0.0.1", port: Int, loop: EventLoop? = nil) throws {
        let clientLoop = try loop ?? EventLoop.startOwned(name: "oaas-client")
        self.loop = clientLoop
        ownsLoop = loop == nil
        do {
            grpc = try LoopWait.run(on: clientLoop, timeout: .seconds(10)) {
                (complete: @escaping (Result<UncheckedTransfer<GRPCClient>, any Error>) -> Void) in
                complete(Result { UncheckedTransfer(try GRPCClient(loop: clientLoop, host: host, port: port)) })
            }
        } catch {
            if loop == nil { _ = clientLoop.shutdown(gracePeriod: .seconds(1)) }
            throw error
        }
    }

    /// Calls `InvokeObj`.
    /// - Throws: `GRPCStatus` when the call fails at the gRPC level (unreachable server,
    ///   deadline, …); an in-band failure (`APP_ERROR`…) is a normal response.
    public func invokeObject(_ request: Oprc_ObjectInvocationRequest, timeout: Duration = .seconds(30)) async throws -> Oprc_InvocationResponse {
        try await call("/oprc.OprcFunction/InvokeObj", request, timeout: timeout)
    }

    /// Calls `InvokeFn`; see ``invokeObject(_:timeout:)``.
    public func invokeFunction(_ request: Oprc_InvocationRequest, timeout: Duration = .seconds(30)) async throws -> Oprc_InvocationResponse {
        try await call("/oprc.OprcFunction/InvokeFn", request, timeout: timeout)
    }

    /// Calls `function` of object `objectID` of class `classID` (`package.Name`), sending the
    /// object id as a string (field 7).
    public func invoke(_ classID: String, objectID: String, function: String, payload: [UInt8] = [],
                       partition: UInt32 = 0, timeout: Duration = .seconds(30)) async throws -> Oprc_InvocationResponse {
        var request = Oprc_ObjectInvocationRequest()
        request.clsID = classID
        request.objectIDStr = objectID
        request.fnID = function
        request.partitionID = partition
        request.payload = .init(payload)
        return try await invokeObject(request, timeout: timeout)
    }

    /// Calls the stateless `function` of class `classID`.
    public func invoke(_ classID: String, function: String, payload: [UInt8] = [],
                       partition: UInt32 = 0, timeout: Duration = .seconds(30)) async throws -> Oprc_InvocationResponse {
        var request = Oprc_InvocationRequest()
        request.clsID = classID
        request.fnID = function
        request.partitionID = partition
        request.payload = .init(payload)
        return try await invokeFunction(request, timeout: timeout)
    }

    private func call(_ path: String, _ request: some SwiftProtobuf.Message, timeout: Duration) async throws -> Oprc_InvocationResponse {
        let bytes: [UInt8] = try request.serializedBytes()
        let grpc = self.grpc
        let message: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            do {
                try loop.execute {
                    grpc.value.unary(path, request: bytes, timeout: timeout) { response in
                        continuation.resume(with: Result { try response.get() })
                    }
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
        return try Oprc_InvocationResponse(serializedBytes: message)
    }

    /// Closes the connection once its calls finish, and ends the client's own loop.
    public func close() async {
        let grpc = self.grpc
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                try loop.execute { grpc.value.close { continuation.resume() } }
            } catch {
                continuation.resume()
            }
        }
        if ownsLoop {
            loop.stop(gracePeriod: .seconds(1))
            _ = await loop.terminated()
            // The loop has finished; joining only reaps its thread, which is exiting.
            loop.join()
        }
    }
}
