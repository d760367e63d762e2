import OaasProto

/// What `grpc.health.v1.Health` reports, per service name ("" is the whole server).
///
/// Watchers (open `Watch` calls) hear every change. From the moment a drain begins, every
/// service is NOT_SERVING.
///
/// Loop-confined.
public final class GRPCHealthStatus {
    /// A service's health, as the protocol names it.
    public enum ServingStatus: Sendable {
        case serving
        case notServing
    }

    private var statuses: [String: ServingStatus] = [:]
    private var watchers: [String: [GRPCServerCall]] = [:]

    init() {}

    /// The status of `service`, or nil when the server does not know it.
    public func status(of service: String) -> ServingStatus? { statuses[service] }

    /// Sets a service's status and tells its watchers.
    public func set(_ service: String, _ status: ServingStatus) {
        guard statuses[service] != status else { return }
        statuses[service] = status
        for call in watchers[service] ?? [] { Self.send(Self.wire(status), to: call) }
    }

    func enterDrain() {
        for service in statuses.keys { set(service, .notServing) }
    }

    func closeWatchers() {
        let open = watchers.values.flatMap { $0 }
        watchers = [:]
        for call in open { call.finish(GRPCStatus(.unavailable, "the server stopped")) }
    }

    // MARK: The service

    static let checkPath = "/grpc.health.v1.Health/Check"
    static let watchPath = "/grpc.health.v1.Health/Watch"

    func check(_ call: GRPCServerCall, _ message: [UInt8]) {
        guard let request = try? Grpc_Health_V1_HealthCheckRequest(serializedBytes: message) else {
            return call.fail(GRPCStatus(.invalidArgument, "the request is not a valid grpc.health.v1.HealthCheckRequest"))
        }
        guard let status = statuses[request.service] else {
            return call.fail(GRPCStatus(.notFound, "unknown service '\(request.service)'"))
        }
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = Self.wire(status)
        call.respond((try? response.serializedBytes()) ?? [])
    }

    func watch(_ call: GRPCServerCall) {
        call.onMessage = { [unowned self, unowned call] message in
            guard let request = try? Grpc_Health_V1_HealthCheckRequest(serializedBytes: message) else {
                return call.fail(GRPCStatus(.invalidArgument, "the request is not a valid grpc.health.v1.HealthCheckRequest"))
            }
            let service = request.service
            Self.send(statuses[service].map(Self.wire) ?? .serviceUnknown, to: call)
            watchers[service, default: []].append(call)
            call.onCancel = { [unowned self, unowned call] _ in
                watchers[service]?.removeAll { $0 === call }
            }
        }
    }

    private static func wire(_ status: ServingStatus) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        switch status {
        case .serving: .serving
        case .notServing: .notServing
        }
    }

    private static func send(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus, to call: GRPCServerCall) {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        call.send((try? response.serializedBytes()) ?? [])
    }
}

extension GRPCServer {
    /// Serves `grpc.health.v1.Health` (Check and Watch). Loop thread only.
    public func enableHealthService() {
        register(GRPCHealthStatus.checkPath, .unary { [unowned self] call, message in health.check(call, message) })
        register(GRPCHealthStatus.watchPath, .streaming { [unowned self] call in health.watch(call) })
    }
}
