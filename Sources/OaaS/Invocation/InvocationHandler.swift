import OaasLoop
import OaasProto

/// Serves `InvokeFn` and `InvokeObj` requests on one loop (the design's invocation handlers).
///
/// Two implementations with the same observable results: ``SyncInvocationHandler`` and
/// ``AsyncInvocationHandler``. The server, agents and in-process calls all go through one.
/// Loop-confined: call on ``loop``'s thread; `reply` runs there too, exactly once.
public protocol InvocationHandler: AnyObject {
    /// The loop the handler runs calls on.
    var loop: EventLoop { get }
    /// Whether this is the asynchronous handler.
    var isAsync: Bool { get }
    /// Calls accepted and not yet answered. Any thread.
    var callsInFlight: Int { get }
    /// Runs a stateless call.
    func invokeFunction(_ request: Oprc_InvocationRequest, reply: @escaping (Oprc_InvocationResponse) -> Void)
    /// Runs a call on one object.
    func invokeObject(_ request: Oprc_ObjectInvocationRequest, reply: @escaping (Oprc_InvocationResponse) -> Void)
}

/// The synchronous handler: a synchronous method on an immediate store (the in-memory one) runs
/// start to finish inside the loop callback that received it, with no task and no thread hop.
/// `async` methods, and stores that do I/O, still work: those calls run as tasks on the loop.
///
/// What the runtime uses when it runs its own loop. Loop-confined.
public final class SyncInvocationHandler: InvocationHandler {
    let engine: InvocationEngine

    init(engine: InvocationEngine) {
        precondition(engine.strategy == .inline)
        self.engine = engine
    }

    public var loop: EventLoop { engine.loop }
    public var isAsync: Bool { false }
    public var callsInFlight: Int { engine.inFlightCount }

    public func invokeFunction(_ request: Oprc_InvocationRequest, reply: @escaping (Oprc_InvocationResponse) -> Void) {
        engine.invoke(Invocation(request), reply: reply)
    }

    public func invokeObject(_ request: Oprc_ObjectInvocationRequest, reply: @escaping (Oprc_InvocationResponse) -> Void) {
        engine.invoke(Invocation(request), reply: reply)
    }
}

/// The asynchronous handler: every call runs as a task on the loop's executor, so methods may
/// `await` (timers on the loop, other objects, I/O) while the loop serves other calls.
///
/// What a caller that hands the runtime its own loop gets. Loop-confined.
public final class AsyncInvocationHandler: InvocationHandler {
    let engine: InvocationEngine

    init(engine: InvocationEngine) {
        precondition(engine.strategy == .tasks)
        self.engine = engine
    }

    public var loop: EventLoop { engine.loop }
    public var isAsync: Bool { true }
    public var callsInFlight: Int { engine.inFlightCount }

    public func invokeFunction(_ request: Oprc_InvocationRequest, reply: @escaping (Oprc_InvocationResponse) -> Void) {
        engine.invoke(Invocation(request), reply: reply)
    }

    public func invokeObject(_ request: Oprc_ObjectInvocationRequest, reply: @escaping (Oprc_InvocationResponse) -> Void) {
        engine.invoke(Invocation(request), reply: reply)
    }
}
