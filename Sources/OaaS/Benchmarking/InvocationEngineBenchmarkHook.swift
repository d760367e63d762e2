// For benchmarks/Benchmarks/HotPathBenchmarks only, and not API: the SPI name keeps it out of
// ordinary imports, and it may change or go in any release.
import Logging
@_spi(Benchmarks) import OaasGRPC
import OaasLoop
import OaasProto
import struct Foundation.Data

/// An `InvocationEngine` with the inline strategy (what the server uses on its own loop) on an
/// in-memory store, serving one registered service, for micro-benchmarks of whole calls.
///
/// Three ways in:
/// - ``invoke(classID:functionID:objectID:payload:)``: the engine alone, from decoded fields;
/// - ``serveInvokeObject(dataChunk:)``: the server's per-call work minus HTTP/2 and sockets:
///   a DATA chunk through the gRPC message reader, `OprcWire`'s decode, the engine, then the
///   response written by `OprcWire` and framed by the gRPC message writer into a reused body.
///   What it leaves out is nghttp2's stream and header handling and the `GRPCServerCall`;
/// - ``registerRoutes(on:)``: the whole server, on a `GRPCServer` the benchmark starts.
///
/// Not API. Loop-confined: make it and call it on `loop`'s thread (an embedded loop made by the
/// calling thread will do; inline calls never need the loop to turn).
@_spi(Benchmarks)
public final class InvocationEngineBenchmarkHook {
    private let engine: InvocationEngine
    private let reply = BenchmarkReply()
    private var reader = GRPCMessageReaderBenchmarkHook()

    /// - Parameters:
    ///   - loop: the engine's loop; calls must be made on its thread.
    ///   - type: the one service the engine serves.
    ///   - store: where objects live; the in-memory store makes every call run inline.
    /// - Throws: ``RegistrationError`` for a malformed service definition.
    public init<Service: OaasService>(loop: EventLoop, serving type: Service.Type,
                                      store: InMemoryObjectStore = InMemoryObjectStore()) throws(RegistrationError) {
        let registry = ServiceRegistry()
        try registry.register(type)
        var logger = Logger(label: "oaas-benchmark")
        // As the runtime does with debug output off: nothing on the call path logs at critical.
        logger.logLevel = .critical
        engine = InvocationEngine(loop: loop, strategy: .inline, registry: registry, store: store,
                                  maxPendingPerObject: 1_000, logger: logger)
    }

    /// Puts `InvokeFn` and `InvokeObj` on `server`, answered by this engine, as `startServer`
    /// does; for benchmarks of the whole server over loopback.
    /// The loop's thread.
    public func registerRoutes(on server: GRPCServer) {
        OprcFunctionRoutes.register(on: server, engine: engine)
    }

    /// Runs one `InvokeObj` call through the engine and returns its response.
    /// The loop's thread.
    public func invoke(classID: String, functionID: String, partitionID: UInt32 = 0, objectID: String,
                       payload: Data) -> (status: Oprc_ResponseStatus, payload: Data) {
        let invocation = Invocation(kind: .object, classID: classID, functionID: functionID,
                                    partitionID: partitionID, objectID: objectID, payload: payload)
        reply.encodesBody = false
        engine.invoke(invocation, replyTo: reply)
        guard let response = reply.take() else {
            preconditionFailure("the call did not run inline: the benchmark needs a synchronous method")
        }
        return (response.status, response.payload)
    }

    /// Serves one framed `oprc.ObjectInvocationRequest` the way the server's `InvokeObj` route
    /// does, up to the response body handed to HTTP/2.
    /// - Parameter dataChunk: the request's 5-byte gRPC prefix and message, as one DATA frame
    ///   brings it.
    /// - Returns: the size of the framed response body.
    /// - Throws: what the reader or the decoder throws for a malformed request.
    /// The loop's thread.
    public func serveInvokeObject(dataChunk: UnsafeRawBufferPointer) throws -> Int {
        reply.encodesBody = true
        var delivered = false
        var malformed: (any Error)?
        try reader.append(dataChunk) { message in
            delivered = true
            let invocation: Invocation
            do {
                invocation = try message.withUnsafeBytes { raw throws(OprcWire.Malformed) in
                    try OprcWire.objectInvocation(raw)
                }
            } catch {
                malformed = error
                return
            }
            engine.invoke(invocation, replyTo: reply)
        }
        if let malformed { throw malformed }
        guard delivered, reply.take() != nil else {
            preconditionFailure("the chunk held no whole request, or the call did not run inline")
        }
        return reply.body.count
    }
}

/// Where the engine's responses go during a benchmark: one object for every call, as a gRPC
/// call is its own reply with no wrapper. Loop-confined.
private final class BenchmarkReply: InvocationReply {
    /// Whether ``deliver(_:)`` writes the framed response body as the server would.
    var encodesBody = false
    /// The last framed response body; its capacity is kept between calls.
    private(set) var body: [UInt8] = []
    private var response: Oprc_InvocationResponse?

    func deliver(_ response: Oprc_InvocationResponse) {
        if encodesBody {
            body.removeAll(keepingCapacity: true)
            // The server's fast path (OprcFunctionRoutes.respond): the engine's responses carry
            // only a status and a payload.
            OprcWire.withResponse(status: response.status, payload: response.payload) { bytes in
                GRPCMessageWriterBenchmarkHook.append(bytes, to: &body)
            }
        }
        self.response = response
    }

    var isAbandoned: Bool { false }

    /// The response delivered since the last call, if any.
    func take() -> Oprc_InvocationResponse? {
        defer { response = nil }
        return response
    }
}
