import OaasLoop
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
    /// The engine whose call that task runs (engines of one loop share activations).
    weak var runningEngine: InvocationEngine?

    var waitingCount: Int { waiting.count - head }

    func enqueue(_ call: PendingCall) { waiting.append(call) }

    /// Takes out the waiting calls `engine` accepted, keeping the others in order.
    func removeCalls(of engine: InvocationEngine) -> [PendingCall] {
        var removed: [PendingCall] = []
        var kept: [PendingCall] = []
        while let call = dequeue() {
            if call.engine === engine { removed.append(call) } else { kept.append(call) }
        }
        for call in kept { enqueue(call) }
        return removed
    }

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

/// The activations of the objects busy on one loop, shared by every engine on that loop (the
/// server's and the agents'), so calls reaching one object through either wait for each other.
/// Loop-confined, except ``shared(for:)``.
final class ActivationTable {
    var byObject: [ObjectIdentity: ObjectActivation] = [:]

    private static let tables = LockedValue<[ObjectIdentifier: WeakTable]>([:])

    private struct WeakTable {
        weak var table: ActivationTable?
    }

    /// The table of `loop`'s engines, made for the first. Any thread.
    static func shared(for loop: EventLoop) -> ActivationTable {
        tables.withLock { tables in
            let key = ObjectIdentifier(loop)
            if let table = tables[key]?.table { return table }
            // Forget the entries of loops whose engines are all gone.
            tables = tables.filter { $0.value.table != nil }
            let table = ActivationTable()
            tables[key] = WeakTable(table: table)
            return table
        }
    }
}

/// A call accepted by an engine, with what it needs to run and answer. Loop-confined.
struct PendingCall {
    /// The engine that accepted it: it runs the call, counts it and answers it, even when
    /// another engine of the loop takes it from the object's queue.
    let engine: InvocationEngine
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
