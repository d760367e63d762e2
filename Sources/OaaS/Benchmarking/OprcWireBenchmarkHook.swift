// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.
import OaasProto
import struct Foundation.Data

/// The server's own protobuf reader and writer for the invocation messages (the internal
/// `OprcWire`), so the micro-benchmarks measure them beside SwiftProtobuf's generic code.
///
/// Not API. Any thread (pure functions).
@_spi(Benchmarks)
public enum OprcWireBenchmarkHook {
    /// Decodes an `oprc.ObjectInvocationRequest` as the `InvokeObj` route does.
    /// - Returns: the decoded call's fields (copies share the decoded strings' storage).
    /// - Throws: the reader's `Malformed` (an internal type, hence the untyped throw).
    public static func decodeObjectInvocation(_ bytes: UnsafeRawBufferPointer) throws
        -> (classID: String, functionID: String, partitionID: UInt32, objectID: String?, payload: Data) {
        let invocation = try OprcWire.objectInvocation(bytes)
        return (invocation.classID, invocation.functionID, invocation.partitionID, invocation.objectID, invocation.payload)
    }

    /// Writes an `oprc.InvocationResponse` as the server answers an engine's response and
    /// hands its bytes to `body`, which must not keep them.
    public static func withResponse<R>(status: Oprc_ResponseStatus, payload: Data,
                                       _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try OprcWire.withResponse(status: status, payload: payload, body)
    }
}
