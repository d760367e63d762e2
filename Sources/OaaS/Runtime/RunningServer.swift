import OaasGRPC
import OaasLoop

/// What a started server is made of. The handler and gRPC server are loop-confined: touch
/// them only on `loop`'s thread. Everything else is immutable.
final class RunningServer: @unchecked Sendable {
    let loop: EventLoop
    /// Whether the runtime made `loop` (and so must end it on stop).
    let ownsLoop: Bool
    let handler: any InvocationHandler
    let engine: InvocationEngine
    let grpc: GRPCServer?
    let port: Int?
    let isAsync: Bool
    let isMock: Bool
    let startedAt = ContinuousClock.now
    let drainTimeout: Duration
    let goAwayNotice: Duration

    init(loop: EventLoop, ownsLoop: Bool, handler: any InvocationHandler, engine: InvocationEngine, grpc: GRPCServer?, port: Int?,
         isAsync: Bool, isMock: Bool, drainTimeout: Duration, goAwayNotice: Duration) {
        self.loop = loop
        self.ownsLoop = ownsLoop
        self.handler = handler
        self.engine = engine
        self.grpc = grpc
        self.port = port
        self.isAsync = isAsync
        self.isMock = isMock
        self.drainTimeout = drainTimeout
        self.goAwayNotice = goAwayNotice
    }

    /// Stops taking calls, lets in-flight ones finish (gRPC drain, then the engine's queues)
    /// until the drain timeout, and reports how many were still unanswered. Loop thread only.
    func drain(completion: @escaping (Int) -> Void) {
        let deadline = ContinuousClock.now + drainTimeout + goAwayNotice
        let drainEngine = {
            let remaining = max(.zero, deadline - ContinuousClock.now)
            self.engine.drain(timeout: remaining, completion: completion)
        }
        if let grpc {
            grpc.shutdown(completion: drainEngine)
        } else {
            drainEngine()
        }
    }
}
