import Logging
import OaasLoop
import OaasProto
import Synchronization
import struct Foundation.Data

/// Runs calls on one loop: finds the service and method, keeps one call at a time per object
/// in arrival order, loads state, runs the method, commits, answers.
///
/// Two strategies share this engine (see ``SyncInvocationHandler`` and
/// ``AsyncInvocationHandler``): `inline` runs a synchronous method on an immediate store to the
/// end inside the caller's loop callback, with no task; `tasks` runs every call as a task on
/// the loop's executor. `async` methods and stores that do I/O always run as tasks.
///
/// Loop-confined, except ``inFlightCount``.
final class InvocationEngine {
    enum Strategy { case inline, tasks }

    let loop: EventLoop
    let strategy: Strategy
    private let registry: ServiceRegistry
    private let store: any ObjectStore
    private let immediateStore: (any ImmediateObjectStore)?
    /// The loop's group-commit front of a write-behind store (SQLite), when that is the store.
    private let writeBehind: WriteBehindSession?
    private let maxPendingPerObject: Int
    /// Runs of one call when its commits keep losing their compare-and-set.
    private let maxCommitAttempts: Int
    private let logger: Logger

    /// Shared with the loop's other engines (see ``ActivationTable``).
    private let activations: ActivationTable
    /// The registry's table as of `servicesGeneration`, read without a lock.
    private var services: [String: RegisteredService] = [:]
    private var servicesGeneration = -1
    private var accepting = true
    private var drainWaiters: [() -> Void] = []
    private var deadlineTimer: LoopTimer?
    private let inFlight = Atomic<Int>(0)

    init(loop: EventLoop, strategy: Strategy, registry: ServiceRegistry, store: any ObjectStore,
         maxPendingPerObject: Int, maxCommitAttempts: Int = 10, logger: Logger) {
        precondition(maxCommitAttempts >= 1, "a call runs at least once")
        self.loop = loop
        self.strategy = strategy
        self.registry = registry
        self.store = store
        self.immediateStore = store.immediate
        writeBehind = (store as? WriteBehindStore)?.session(on: loop)
        self.maxPendingPerObject = maxPendingPerObject
        self.maxCommitAttempts = maxCommitAttempts
        self.logger = logger
        activations = ActivationTable.shared(for: loop)
    }

    /// Calls accepted and not yet answered. Any thread.
    var inFlightCount: Int { inFlight.load(ordering: .relaxed) }

    // MARK: Accepting a call

    /// Runs `invocation` and calls `reply` once, on the loop thread, with its response.
    func invoke(_ invocation: Invocation, reply: @escaping (Oprc_InvocationResponse) -> Void) {
        invoke(invocation, replyTo: ClosureReply(reply))
    }

    /// Runs `invocation` and delivers its response to `reply` once, on the loop thread.
    func invoke(_ invocation: Invocation, replyTo reply: any InvocationReply) {
        assert(loop.inLoop)
        guard accepting else {
            return reply.deliver(.failure(.systemError, "the runtime is stopping and takes no new calls"))
        }
        guard let service = lookupService(invocation.classID) else {
            return reply.deliver(.failure(.invalidRequest, "cls_id '\(invocation.classID)' not found"))
        }
        guard let method = service.methods[invocation.functionID] else {
            return reply.deliver(.failure(.invalidRequest, "fn_id '\(invocation.functionID)' not found"))
        }
        if logger.logLevel <= .trace {
            logger.trace("invoke", metadata: ["cls": "\(invocation.classID)", "fn": "\(invocation.functionID)",
                                              "object": "\(invocation.objectID ?? "-")"])
        }
        // Stateless methods, and any method reached through InvokeFn, run on a fresh object
        // whose state is neither loaded nor committed: there is no object to serialize on.
        if invocation.kind == .function || method.options.stateless {
            return start(PendingCall(engine: self, service: service, method: method, invocation: invocation, identity: nil, reply: reply))
        }
        if let problem = Invocation.problem(withObjectID: invocation.objectID) {
            return reply.deliver(.failure(.invalidRequest, problem))
        }
        let identity = ObjectIdentity(classID: invocation.classID, partitionID: invocation.partitionID,
                                      objectID: invocation.objectID!)
        let call = PendingCall(engine: self, service: service, method: method, invocation: invocation, identity: identity, reply: reply)
        if let activation = activations.byObject[identity] {
            guard activation.waitingCount < maxPendingPerObject else {
                return reply.deliver(.failure(.systemError,
                                      "object \(identity) is overloaded: \(activation.waitingCount) calls are already waiting for it (limit \(maxPendingPerObject))"))
            }
            inFlight.add(1, ordering: .relaxed)
            activation.enqueue(call)
            return
        }
        start(call)
    }

    private func lookupService(_ classID: String) -> RegisteredService? {
        if registry.generation != servicesGeneration {
            (servicesGeneration, services) = registry.snapshot()
        }
        return services[classID]
    }

    /// Starts a call whose object (if any) is idle.
    private func start(_ call: PendingCall) {
        inFlight.add(1, ordering: .relaxed)
        run(call, activation: nil)
    }

    /// Whether `call` may run start to finish without suspending: a synchronous method on an
    /// immediate or write-behind store. Its answer may still wait for a write-behind store's
    /// disk; an object that store does not have in memory is found out by ``runInline(_:started:)``,
    /// which hands the call back (one cache look-up per call, not two).
    private func runsInline(_ call: PendingCall) -> Bool {
        guard strategy == .inline, !call.method.isAsync else { return false }
        return call.identity == nil || immediateStore != nil || writeBehind != nil
    }

    /// Runs `call` inline when nothing in it can suspend (`activation` is then `nil`: an idle
    /// object needs none), else as a task holding its object's activation so later calls of
    /// the object wait their turn.
    private func run(_ call: PendingCall, activation: ObjectActivation?) {
        if activation == nil, runsInline(call), runInline(call, started: .now) { return }
        var ownActivation = activation
        if let identity = call.identity, ownActivation == nil {
            let fresh = ObjectActivation()
            activations.byObject[identity] = fresh
            ownActivation = fresh
        }
        let job = SuspendingCall(engine: self, call: call, activation: ownActivation)
        let task = Task(executorPreference: loop) {
            let engine = job.engine
            let call = job.call
            let activation = job.activation
            let started = ContinuousClock.now
            if let response = await engine.runSuspending(call, started: started) {
                engine.finish(call, response, started: started)
            }
            if let activation, let identity = call.identity { engine.next(for: identity, activation) }
        }
        ownActivation?.runningTask = task
        ownActivation?.runningEngine = self
    }

    /// After a call of a busy object: start the next waiting one, or retire the activation.
    private func next(for identity: ObjectIdentity, _ activation: ObjectActivation) {
        assert(loop.inLoop)
        activation.runningTask = nil
        activation.runningEngine = nil
        // Inline calls finish inside `run`, so keep taking them here until one suspends. A
        // call may belong to another engine of this loop: that engine runs and answers it.
        while let call = activation.dequeue() {
            let owner = call.engine
            if call.reply.isAbandoned {
                // Its caller has gone; running it would change state nobody asked for anymore.
                owner.finish(call, .failure(.systemError, "the caller gave up before the call ran"), started: .now)
                continue
            }
            if owner.runsInline(call), owner.runInline(call, started: .now) { continue }
            return owner.run(call, activation: activation)
        }
        activations.byObject[identity] = nil
    }

    private func finish(_ call: PendingCall, _ response: Oprc_InvocationResponse, started: ContinuousClock.Instant) {
        assert(loop.inLoop)
        call.method.metrics.record(ContinuousClock.now - started, succeeded: response.status == .okay)
        call.reply.deliver(response)
        if inFlight.subtract(1, ordering: .relaxed).newValue == 0, !drainWaiters.isEmpty {
            let waiters = drainWaiters
            drainWaiters = []
            for waiter in waiters { waiter() }
        }
    }

    // MARK: Running a call

    /// The whole call without suspension: a synchronous method, its object in an immediate
    /// store or a write-behind store's memory. Answers the call now, or (write-behind) once
    /// its state is durable.
    /// - Returns: `false` when a write-behind store does not have the object in memory (not
    ///   read yet, dropped, or gone after a conflict): nothing was committed, and the caller
    ///   runs the call as a task instead.
    private func runInline(_ call: PendingCall, started: ContinuousClock.Instant) -> Bool {
        guard case .sync(let body) = call.method.body else { preconditionFailure("async method run inline") }
        guard let identity = call.identity else {
            let object = call.service.makeObject()
            finish(call, perform(call) { try body(object, call.invocation.payload) }, started: started)
            return true
        }
        for attempt in 1...maxCommitAttempts {
            let object = call.service.makeObject()
            object.identity = identity
            let loaded: StoredObject?
            let baseline: ObjectEntries
            do {
                if let immediateStore {
                    loaded = try immediateStore.loadNow(identity)
                } else {
                    guard let cached = writeBehind!.cached(identity) else { return false }
                    loaded = cached
                }
                if let loaded { try call.service.loadState(object, loaded.entries) }
                baseline = try self.baseline(call, object, loaded)
            } catch {
                finish(call, loadFailure(error, identity), started: started)
                return true
            }
            let result: Data
            do {
                result = try body(object, call.invocation.payload)
            } catch {
                finish(call, .failure(.appError, ErrorReport.payload(for: error, parameterType: call.method.parameterType)), started: started)
                return true
            }
            let entries: ObjectEntries?
            do {
                entries = try changedEntries(call, object, baseline: baseline)
            } catch {
                finish(call, commitFailure(error, identity), started: started)
                return true
            }
            do {
                if let immediateStore {
                    if let entries {
                        _ = try immediateStore.commitNow(identity, entries: entries, expectedVersion: loaded?.version ?? 0)
                    }
                    finish(call, .okay(result), started: started)
                } else {
                    try answerWhenDurable(call, identity, entries: entries, expectedVersion: loaded?.version ?? 0,
                                      result: result, started: started)
                }
                return true
            } catch where Self.isConflict(error) && attempt < maxCommitAttempts {
                continue
            } catch {
                finish(call, commitFailure(error, identity, attempts: attempt), started: started)
                return true
            }
        }
        preconditionFailure("the attempts loop returns")
    }

    /// The call as a task: it may await the method and the store. Returns the answer, or `nil`
    /// when a write-behind store answers it later (once its state is durable); either way
    /// the object is free for its next call when this returns.
    private func runSuspending(_ call: PendingCall, started: ContinuousClock.Instant) async -> Oprc_InvocationResponse? {
        guard let identity = call.identity else {
            let object = call.service.makeObject()
            return await performAwaiting(call, object)
        }
        for attempt in 1...maxCommitAttempts {
            if attempt > 2 {
                // Several lost races in a row: another process is busy with this object. A
                // short random pause spreads the contenders out.
                try? await loop.sleep(for: .microseconds(Int64.random(in: 50...(200 * Int64(attempt)))))
            }
            let object = call.service.makeObject()
            object.identity = identity
            let loaded: StoredObject?
            let baseline: ObjectEntries
            do {
                loaded = try await load(identity)
                if let loaded { try call.service.loadState(object, loaded.entries) }
                baseline = try self.baseline(call, object, loaded)
            } catch {
                return loadFailure(error, identity)
            }
            let result: Data
            switch await performAwaitingResult(call, object) {
            case .success(let value): result = value
            case .failure(let failure): return failure.response
            }
            do {
                let entries = try changedEntries(call, object, baseline: baseline)
                if writeBehind != nil {
                    try answerWhenDurable(call, identity, entries: entries, expectedVersion: loaded?.version ?? 0,
                                      result: result, started: started)
                    return nil
                }
                if let entries {
                    _ = try await store.commit(identity, entries: entries, expectedVersion: loaded?.version ?? 0)
                } else if try await !store.isCurrent(identity, version: loaded?.version ?? 0) {
                    // Another process replaced what this call read: answer from its state.
                    throw ObjectStoreError(object: identity, reason: .conflict(expected: loaded?.version ?? 0, actual: 0))
                }
                return .okay(result)
            } catch where Self.isConflict(error) && attempt < maxCommitAttempts {
                continue
            } catch {
                return commitFailure(error, identity, attempts: attempt)
            }
        }
        preconditionFailure("the attempts loop returns")
    }

    /// Loads through the write-behind session when there is one (its memory, else its loop's
    /// thread pool), else through the store.
    private func load(_ identity: ObjectIdentity) async throws -> StoredObject? {
        guard let writeBehind else { return try await store.load(identity) }
        if let cached = writeBehind.cached(identity) { return cached }
        return try await withCheckedThrowingContinuation { continuation in
            writeBehind.load(identity) { continuation.resume(with: $0) }
        }
    }

    /// Stages the call's change in the write-behind store (or, if it changed nothing, waits
    /// for the state it read) and answers the call once that is on disk.
    /// - Throws: ``ObjectStoreError`` `.conflict` with nothing staged, for the caller to retry.
    private func answerWhenDurable(_ call: PendingCall, _ identity: ObjectIdentity, entries: ObjectEntries?,
                                   expectedVersion: UInt64, result: Data, started: ContinuousClock.Instant) throws(ObjectStoreError) {
        let answer: (Result<Void, ObjectStoreError>) -> Void = { [self] fate in
            switch fate {
            case .success: finish(call, .okay(result), started: started)
            case .failure(let error): finish(call, commitFailure(error, identity), started: started)
            }
        }
        if let entries {
            _ = try writeBehind!.stage(identity, entries: entries, expectedVersion: expectedVersion, durable: answer)
        } else {
            writeBehind!.afterDurable(identity, completion: answer)
        }
    }

    private static func isConflict(_ error: any Error) -> Bool {
        guard let error = error as? ObjectStoreError, case .conflict = error.reason else { return false }
        return true
    }

    /// Runs a synchronous body, turning its error into the APP_ERROR answer.
    private func perform(_ call: PendingCall, _ body: () throws -> Data) -> Oprc_InvocationResponse {
        do {
            return .okay(try body())
        } catch {
            return .failure(.appError, ErrorReport.payload(for: error, parameterType: call.method.parameterType))
        }
    }

    private func performAwaiting(_ call: PendingCall, _ object: OaasObject) async -> Oprc_InvocationResponse {
        switch await performAwaitingResult(call, object) {
        case .success(let result): .okay(result)
        case .failure(let failure): failure.response
        }
    }

    private func performAwaitingResult(_ call: PendingCall, _ object: OaasObject) async -> Result<Data, AppFailure> {
        do {
            switch call.method.body {
            case .sync(let body): return .success(try body(object, call.invocation.payload))
            case .async(let body): return .success(try await body(object, call.invocation.payload))
            }
        } catch {
            return .failure(AppFailure(response: .failure(.appError, ErrorReport.payload(for: error, parameterType: call.method.parameterType))))
        }
    }

    /// The entries to commit, or `nil` when the method changed nothing (then nothing is
    /// written, and an object that did not exist still does not).
    ///
    /// The state is saved on top of `baseline` (the stored entries, or a fresh instance's), so
    /// fields the method left alone are not rewritten: an unchanged object costs no copy.
    private func changedEntries(_ call: PendingCall, _ object: OaasObject, baseline: ObjectEntries) throws -> ObjectEntries? {
        let after: ObjectEntries
        do {
            after = try call.service.saveState(object, baseline)
        } catch {
            throw StateSaveFailure(error: error)
        }
        return after == baseline ? nil : after
    }

    /// What "unchanged" means for this call: the stored entries, or, for an object that does
    /// not exist yet, the entries of a fresh instance's defaults (so a call that changes
    /// nothing does not create the object).
    private func baseline(_ call: PendingCall, _ object: OaasObject, _ loaded: StoredObject?) throws -> ObjectEntries {
        if let loaded, !loaded.entries.isEmpty { return loaded.entries }
        return try call.service.saveState(object, loaded?.entries ?? [:])
    }

    private func loadFailure(_ error: any Error, _ identity: ObjectIdentity) -> Oprc_InvocationResponse {
        let text: String
        if let error = error as? PayloadError {
            text = "the stored state of \(identity) cannot be read: \(error.message)"
        } else {
            text = "loading \(identity) failed: \(ErrorReport.text(of: error))"
        }
        logger.error("\(text)")
        return .failure(.systemError, text)
    }

    private func commitFailure(_ error: any Error, _ identity: ObjectIdentity, attempts: Int = 1) -> Oprc_InvocationResponse {
        if let failure = error as? StateSaveFailure {
            // The method's own values could not be encoded: the application's fault.
            return .failure(.appError, "the state of \(identity) cannot be saved: \(failure.error.message)")
        }
        if Self.isConflict(error) {
            let text = "object \(identity) was changed by another process or loop each time this call ran (\(attempts) attempts); its changes were not committed"
            logger.warning("\(text)")
            return .failure(.systemError, text)
        }
        let text = "committing \(identity) failed: \(ErrorReport.text(of: error))"
        logger.warning("\(text)")
        return .failure(.systemError, text)
    }

    // MARK: Draining

    /// Starts the clock of a stop: at `deadline`, calls still waiting for their object are
    /// answered `SYSTEM_ERROR` and running tasks are cancelled. Calls are still accepted until
    /// ``drain(grace:completion:)`` (the gRPC drain admits calls already on the wire).
    /// Loop thread only.
    func beginStop(deadline: Duration) {
        assert(loop.inLoop)
        deadlineTimer?.close()
        deadlineTimer = loop.schedule(after: deadline) { [self] in
            deadlineTimer = nil
            abandonWaitingCalls()
            if inFlightCount > 0 {
                logger.warning("\(inFlightCount) calls still running at the drain deadline; they were cancelled")
            }
        }
    }

    /// Stops taking calls and calls `completion` once every accepted call is answered, or when
    /// `grace` passes (a running method cannot be stopped from outside).
    /// - Parameter completion: gets the number of calls still running, 0 when all ended; a
    ///   caller that owns the loop must not end it while calls run on it (see ``whenIdle(_:)``).
    /// Loop thread only.
    func drain(grace: Duration, completion: @escaping (Int) -> Void) {
        assert(loop.inLoop)
        accepting = false
        var done = false
        var graceTimer: LoopTimer?
        func report(_ running: Int) {
            guard !done else { return }
            done = true
            graceTimer?.close()
            // The stop is over: the deadline has nothing left to act on (and an open timer
            // would hold up a caller's loop at its own shutdown).
            deadlineTimer?.close()
            deadlineTimer = nil
            completion(running)
        }
        guard inFlightCount > 0 else { return report(0) }
        drainWaiters.append { report(0) }
        graceTimer = loop.schedule(after: grace) { [self] in report(inFlightCount) }
    }

    /// Runs `body` once no call is in flight (now, if none is). Loop thread only.
    func whenIdle(_ body: @escaping () -> Void) {
        assert(loop.inLoop)
        if inFlightCount == 0 { return body() }
        drainWaiters.append(body)
    }

    private func abandonWaitingCalls() {
        // Only this engine's calls: the loop's other engines are not stopping.
        for (_, activation) in activations.byObject {
            if activation.runningEngine === self { activation.runningTask?.cancel() }
            for call in activation.removeCalls(of: self) {
                logger.warning("call abandoned by a drain past its deadline", metadata: ["object": "\(call.identity!)"])
                finish(call, .failure(.systemError, "the runtime stopped before this call could run"), started: .now)
            }
        }
    }
}

/// A call handed to the task that runs it on the loop; safe to send because the engine, the
/// call and the activation are only ever touched on that loop's thread.
private final class SuspendingCall: @unchecked Sendable {
    let engine: InvocationEngine
    let call: PendingCall
    let activation: ObjectActivation?

    init(engine: InvocationEngine, call: PendingCall, activation: ObjectActivation?) {
        self.engine = engine
        self.call = call
        self.activation = activation
    }
}

/// A loop-confined value carried across threads only to be used back on its loop's thread
/// (into a task on the loop, through `execute`, or stored by an object that only touches it
/// there).
struct UncheckedTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A method that threw, as the answer it gets.
private struct AppFailure: Error {
    let response: Oprc_InvocationResponse
}

/// Saving state failed because a field would not encode.
private struct StateSaveFailure: Error {
    let error: PayloadError
}
