import OaasLoop
import Synchronization

/// The registered services by class id. Any thread: lookups take a lock for a dictionary read.
///
/// Engines keep their own copy of the table and refresh it when ``generation`` moves, so the
/// per-call lookup takes no lock.
final class ServiceRegistry: Sendable {
    private let services = LockedValue<[String: RegisteredService]>([:])
    private let changes = Atomic<Int>(0)

    /// Bumped by every change; a copy taken at generation *g* is current while it stays *g*.
    var generation: Int { changes.load(ordering: .acquiring) }

    /// The table and the generation it belongs to.
    func snapshot() -> (generation: Int, services: [String: RegisteredService]) {
        services.withLock { (changes.load(ordering: .relaxed), $0) }
    }

    /// Registers `type`, replacing a service registered under the same class id (as the
    /// Python SDK lets a later registration win).
    /// - Throws: ``RegistrationError`` for a malformed definition.
    @discardableResult
    func register<Service: OaasService>(_ type: Service.Type) throws(RegistrationError) -> RegisteredService {
        let definition = Service.serviceDefinition
        try Self.validate(definition, type: String(describing: type))
        let service = RegisteredService(type)
        services.withLock { table in
            table[service.classID] = service
            changes.add(1, ordering: .releasing)
        }
        return service
    }

    func lookup(_ classID: String) -> RegisteredService? {
        services.withLock { $0[classID] }
    }

    func isRegistered<Service: OaasService>(_ type: Service.Type) -> Bool {
        guard let service = lookup(Service.serviceDefinition.classID) else { return false }
        return service.typeName == String(describing: type)
    }

    var all: [RegisteredService] {
        services.withLock { Array($0.values) }.sorted { $0.classID < $1.classID }
    }

    var count: Int { services.withLock { $0.count } }

    func removeAll() {
        services.withLock { table in
            table.removeAll()
            changes.add(1, ordering: .releasing)
        }
    }

    private static func validate<Service>(_ definition: ServiceDefinition<Service>, type: String) throws(RegistrationError) {
        func check(_ value: String, _ what: String) throws(RegistrationError) {
            if value.isEmpty { throw RegistrationError(service: type, problem: "the \(what) is empty") }
            if value.contains("/") || value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw RegistrationError(service: type, problem: "the \(what) '\(value)' contains '/' or a control character")
            }
        }
        try check(definition.name, "service name")
        try check(definition.package, "package")
        for method in definition.methods { try check(method.name, "method name") }
    }
}
