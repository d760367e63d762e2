/// The calls waiting for one busy object, in arrival order.
///
/// An activation exists only while a call of its object is suspended (an `async` method or
/// store); a call that runs start to finish inline never needs one, since nothing else can run
/// on the loop meanwhile. Loop-confined.
final class ObjectActivation {
    private var waiting: [PendingCall] = []
    private var head = 0
    /// The task running the current call, so a drain past its deadline can cancel it.
    var runningTask: Task<Void, Never>?

    var waitingCount: Int { waiting.count - head }

    func enqueue(_ call: PendingCall) { waiting.append(call) }

    func dequeue() -> PendingCall? {
        guard head < waiting.count else { return nil }
        let call = waiting[head]
        head += 1
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
        }
        return call
    }
}

/// A call accepted by the engine, with what it needs to run and answer. Loop-confined.
struct PendingCall {
    let service: RegisteredService
    let method: RegisteredMethod
    let invocation: Invocation
    /// The object, for calls that load and commit state; `nil` for stateless runs.
    let identity: ObjectIdentity?
    let reply: any InvocationReply
}

/// Where a call's response goes, and whether anyone still waits for it. Loop-confined.
protocol InvocationReply: AnyObject {
    /// Hands over the response; called once, on the loop thread.
    func deliver(_ response: Oprc_InvocationResponse)
    /// Whether the caller has gone (a cancelled stream, a passed deadline): a call that has not
    /// started yet is then dropped instead of run.
    var isAbandoned: Bool { get }
}

/// A reply that goes to a closure, for in-process callers (who never abandon a call).
final class ClosureReply: InvocationReply {
    private let body: (Oprc_InvocationResponse) -> Void
    init(_ body: @escaping (Oprc_InvocationResponse) -> Void) { self.body = body }
    func deliver(_ response: Oprc_InvocationResponse) { body(response) }
    var isAbandoned: Bool { false }
}

import OaasProto
