import Foundation
import Logging
import OaasBus
import OaasLoop
import OaasProto

/// One started agent: the keys it serves on the bus and the calls it has in flight.
///
/// Serves every method of its class marked `serveWithAgent`: a stateless method on its
/// function key, any other on the object key of its object (or, for a class-wide agent, on the
/// pattern matching every object of the class). Requests carry protobuf
/// `ObjectInvocationRequest`/`InvocationRequest` bytes and get `InvocationResponse` bytes back.
///
/// Immutable members and ``counters``: any thread. The rest: the host loop's thread.
final class RunningAgent: @unchecked Sendable {
    // @unchecked: mutable state is touched only on `host.loop`'s thread.
    let id: String
    let service: RegisteredService
    let objectID: String?
    let partition: UInt32
    let host: AgentHost
    let startedAt = Date()
    let startedClock = ContinuousClock.now
    let counters = AgentCounters()
    let routes: [Route]
    private let logger: Logger

    /// One served key and what a request on it means.
    struct Route {
        let key: String
        let functionID: String
        let kind: Invocation.Kind
    }

    private var bus: (any Bus)?
    private var subscriptions: [BusSubscription] = []
    private var idleWaiters: [() -> Void] = []

    init(id: String, service: RegisteredService, objectID: String?, partition: UInt32, host: AgentHost, logger: Logger) {
        self.id = id
        self.service = service
        self.objectID = objectID
        self.partition = partition
        self.host = host
        self.logger = logger
        routes = service.methodOrder.compactMap { name -> Route? in
            guard let method = service.methods[name], method.options.serveWithAgent else { return nil }
            if method.options.stateless {
                return Route(key: BusKey.function(classID: service.classID, partition: partition, function: name),
                             functionID: name, kind: .function)
            }
            let key = objectID.map { BusKey.object(classID: service.classID, partition: partition, objectID: $0, function: name) }
                ?? BusKey.objectPattern(classID: service.classID, partition: partition, function: name)
            return Route(key: key, functionID: name, kind: .object)
        }
    }

    // MARK: Starting and stopping

    /// Serves every route on `bus`; completes once the bus has confirmed them all, or with the
    /// first failure (or `.connectionFailed` when `limit` passes first) after withdrawing the
    /// ones that succeeded. Loop thread only.
    func start(on bus: any Bus, within limit: Duration, completion: @escaping (Result<Void, BusError>) -> Void) {
        assert(host.loop.inLoop)
        self.bus = bus
        guard !routes.isEmpty else { return completion(.success(())) }
        var outstanding = routes.count
        var failure: BusError?
        var decided = false
        let decide = { [self] (outcome: Result<Void, BusError>) in
            decided = true
            if case .failure = outcome {
                for subscription in subscriptions { bus.stopServing(subscription) }
                subscriptions = []
            }
            completion(outcome)
        }
        let timer = host.loop.schedule(after: limit) {
            guard !decided else { return }
            decide(.failure(BusError(.connectionFailed("the bus did not confirm the agent's keys within \(limit)"))))
        }
        for route in routes {
            bus.serve(key: route.key, handler: { [weak self] request in
                self?.handle(request, on: route)
            }, ready: { [self] result in
                if decided {
                    // Confirmed after the start gave up: withdraw it again.
                    if case .success(let late) = result { bus.stopServing(late) }
                    return
                }
                switch result {
                case .success(let subscription): subscriptions.append(subscription)
                case .failure(let error): failure = failure ?? error
                }
                outstanding -= 1
                guard outstanding == 0 else { return }
                timer.close()
                decide(failure.map { .failure($0) } ?? .success(()))
            })
        }
    }

    /// Stops taking calls, then waits for the calls in flight to be answered (their state is
    /// committed before they answer), at most `grace`. Reports how many were still running.
    /// Loop thread only.
    func stop(grace: Duration, completion: @escaping (Int) -> Void) {
        assert(host.loop.inLoop)
        let withdrawn = subscriptions
        subscriptions = []
        var unconfirmed = withdrawn.count
        var done = false
        var graceTimer: LoopTimer?
        var shutdownHook: ShutdownHookID?
        let loop = host.loop
        let finish = { (running: Int) in
            guard !done else { return }
            done = true
            graceTimer?.close()
            if let shutdownHook { loop.removeShutdownHook(shutdownHook) }
            completion(running)
        }
        // A loop that shuts down meanwhile may close the grace timer, or the bus before it
        // confirms the unsubscribes, without either calling back: the stop then ends as the
        // shutdown begins, reporting the calls still running, rather than never.
        shutdownHook = loop.onShutdown { [counters] in finish(counters.callsInFlight) }
        let awaitIdle = { [self] in
            guard !done else { return }
            guard counters.callsInFlight > 0 else { return finish(0) }
            idleWaiters.append { finish(0) }
            graceTimer = host.loop.schedule(after: grace) { [self] in finish(counters.callsInFlight) }
        }
        guard let bus, unconfirmed > 0 else { return awaitIdle() }
        for subscription in withdrawn {
            bus.stopServing(subscription) {
                unconfirmed -= 1
                if unconfirmed == 0 { awaitIdle() }
            }
        }
    }

    // MARK: Serving a request

    private func handle(_ request: BusRequest, on route: Route) {
        counters.callStarted()
        let invocation: Invocation
        switch decode(request, on: route) {
        case .success(let decoded): invocation = decoded
        case .failure(let problem): return answer(request, .failure(.invalidRequest, problem.text))
        }
        host.engine.invoke(invocation) { [self] response in answer(request, response) }
    }

    private struct Problem: Error { let text: String }

    /// The invocation a request asks for, checked against the key it arrived on: the key names
    /// the class, partition, function and (for object keys) object; a request may leave those
    /// fields empty but not contradict them.
    private func decode(_ request: BusRequest, on route: Route) -> Result<Invocation, Problem> {
        guard !request.payload.isEmpty else { return .failure(Problem(text: "Payload must not be empty")) }
        let decoded: Invocation
        do {
            decoded = try request.payload.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws(OprcWire.Malformed) -> Invocation in
                route.kind == .object ? try OprcWire.objectInvocation(bytes) : try OprcWire.functionInvocation(bytes)
            }
        } catch {
            let message = route.kind == .object ? "ObjectInvocationRequest" : "InvocationRequest"
            return .failure(Problem(text: "the request is not a valid \(message): \(error)"))
        }
        if !decoded.classID.isEmpty, decoded.classID != service.classID {
            return .failure(Problem(text: "cls_id '\(decoded.classID)' does not match the agent's class '\(service.classID)'"))
        }
        if !decoded.functionID.isEmpty, decoded.functionID != route.functionID {
            return .failure(Problem(text: "fn_id '\(decoded.functionID)' does not match the key's function '\(route.functionID)'"))
        }
        if decoded.partitionID != 0, decoded.partitionID != partition {
            return .failure(Problem(text: "partition_id \(decoded.partitionID) does not match the agent's partition \(partition)"))
        }
        var target: String?
        if route.kind == .object {
            // An object agent's keys all name its object; only a class-wide agent reads it.
            let keyObject = objectID ?? Self.objectID(inKey: request.key)
            if let requested = decoded.objectID, let keyObject, requested != keyObject {
                return .failure(Problem(text: "object id '\(requested)' does not match the key's object '\(keyObject)'"))
            }
            target = decoded.objectID ?? keyObject
            if target == BusKey.anyObject {
                return .failure(Problem(text: "'\(BusKey.anyObject)' is not an object id"))
            }
        }
        return .success(Invocation(kind: route.kind, classID: service.classID, functionID: route.functionID,
                                   partitionID: partition, objectID: target, payload: decoded.payload))
    }

    /// The object segment of an object key (`oprc/{cls}/{partition}/objects/{id}/invokes/{fn}`).
    private static func objectID(inKey key: String) -> String? {
        // A byte scan: splitting the key into Substrings cost a quarter of a class-wide
        // agent's loop time under load.
        key.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            // Segments: oprc / class / partition / objects / id / invokes / fn.
            var slashes = 0
            var afterPartition = -1, afterObjects = -1, afterID = -1
            for index in bytes.indices where bytes[index] == UInt8(ascii: "/") {
                slashes += 1
                switch slashes {
                case 3: afterPartition = index
                case 4: afterObjects = index
                case 5: afterID = index
                default: break
                }
            }
            guard slashes == 6 else { return nil }
            let kind = UnsafeBufferPointer(rebasing: bytes[(afterPartition + 1)..<afterObjects])
            guard kind.elementsEqual("objects".utf8) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[(afterObjects + 1)..<afterID]), as: UTF8.self)
        } ?? {
            let segments = key.split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count == 7, segments[3] == "objects" else { return nil }
            return String(segments[4])
        }()
    }

    private func answer(_ request: BusRequest, _ response: Oprc_InvocationResponse) {
        var bytes = OprcWire.withResponse(status: response.status, payload: response.payload) { Array($0) }
        var error: String?
        if response.status != .okay {
            error = "\(response.status): \(String(decoding: response.payload.prefix(300), as: UTF8.self))"
        }
        if bytes.count > request.replyLimit {
            let text = "the result of \(request.key) is \(bytes.count) bytes, more than the bus carries (\(request.replyLimit))"
            logger.warning("\(text)")
            error = "systemError: \(text)"
            bytes = OprcWire.withResponse(status: .systemError, payload: Data(text.utf8)) { Array($0) }
        }
        // Counted before the reply leaves, so a caller that reads `listAgents()` after its
        // reply sees its call.
        let stillRunning = counters.callFinished(error: error)
        request.reply(bytes)
        if stillRunning == 0, !idleWaiters.isEmpty {
            let waiters = idleWaiters
            idleWaiters = []
            for waiter in waiters { waiter() }
        }
    }

    /// What ``Oaas/listAgents()`` shows. Any thread.
    func info(state: AgentInfo.State, busLink: AgentInfo.BusLink) -> AgentInfo {
        AgentInfo(agentID: id, serviceName: service.name, package: service.package, classID: service.classID,
                  objectID: objectID, partitionID: partition, startedAt: startedAt,
                  runningDuration: ContinuousClock.now - startedClock, callsServed: counters.callsServed,
                  callsFailed: counters.callsFailed, callsInFlight: counters.callsInFlight,
                  lastError: counters.lastError, keys: routes.map(\.key), state: state, busLink: busLink)
    }
}
