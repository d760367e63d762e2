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

    /// The longest a stop can take: the drain deadline, then as long again for calls that
    /// were already running (a method cannot be stopped from outside), plus a second.
    var stopBudget: Duration { drainTimeout * 2 + goAwayNotice + .seconds(1) }

    /// Stops taking calls and lets in-flight ones finish and commit. At the drain deadline
    /// (`drainTimeout` after the GOAWAY notice) calls still waiting for their object are
    /// answered `SYSTEM_ERROR` and running tasks are cancelled; the gRPC connections stay open
    /// long enough (``stopBudget``) to carry those answers. Reports how many calls were still
    /// running when the budget ran out. Loop thread only.
    func drain(completion: @escaping (Int) -> Void) {
        let hardDeadline = ContinuousClock.now + stopBudget
        engine.beginStop(deadline: drainTimeout + goAwayNotice)
        let drainEngine = {
            self.engine.drain(grace: max(.zero, hardDeadline - ContinuousClock.now), completion: completion)
        }
        if let grpc {
            grpc.shutdown(completion: drainEngine)
        } else {
            drainEngine()
        }
    }
}
