import struct Foundation.Data

/// A registered service with its concrete type erased, so the engine can hold services of
/// every type in one table. Immutable after registration; any thread.
final class RegisteredService: @unchecked Sendable {
    // @unchecked: immutable; the closures are the service's method and state code, which the
    // engine runs only on the loop thread of each call.
    let classID: String
    let name: String
    let package: String
    let typeName: String
    let persistedFields: [String]
    let methods: [String: RegisteredMethod]
    /// Method ids in declaration order, for listings.
    let methodOrder: [String]
    let makeObject: () -> OaasObject
    let loadState: (OaasObject, ObjectEntries) throws(PayloadError) -> Void
    let saveState: (OaasObject, ObjectEntries) throws(PayloadError) -> ObjectEntries

    init<Service: OaasService>(_ type: Service.Type) {
        let definition = Service.serviceDefinition
        classID = definition.classID
        name = definition.name
        package = definition.package
        typeName = String(describing: type)
        persistedFields = Service.persistedFields
        var methods: [String: RegisteredMethod] = [:]
        for method in definition.methods {
            methods[method.name] = RegisteredMethod(method, classID: definition.classID)
        }
        self.methods = methods
        methodOrder = definition.methods.map(\.name)
        makeObject = { Service() }
        loadState = { object, entries throws(PayloadError) in
            try unsafeDowncast(object, to: Service.self).loadState(from: StateReader(entries: entries))
        }
        saveState = { object, entries throws(PayloadError) in
            var writer = StateWriter(entries: entries)
            try unsafeDowncast(object, to: Service.self).saveState(into: &writer)
            return writer.entries
        }
    }

    /// The metrics of every method.
    var metrics: ServiceMetrics {
        ServiceMetrics(classID: classID, methods: methods.mapValues(\.metrics.snapshot))
    }
}

/// One method of a registered service, type-erased. Immutable; any thread.
final class RegisteredMethod: @unchecked Sendable {
    // @unchecked: immutable; see RegisteredService.
    enum Body {
        case sync((OaasObject, Data) throws -> Data)
        case async((OaasObject, Data) async throws -> Data)
    }

    let name: String
    let options: MethodOptions
    let parameterType: String?
    let body: Body
    let metrics: MethodMetricsRecorder

    init<Service: OaasService>(_ method: MethodDefinition<Service>, classID: String) {
        name = method.name
        options = method.options
        parameterType = method.parameterType
        switch method.body {
        case .sync(let body):
            self.body = .sync { object, payload in try body(unsafeDowncast(object, to: Service.self), payload) }
        case .async(let body):
            self.body = .async { object, payload in try await body(unsafeDowncast(object, to: Service.self), payload) }
        }
        metrics = MethodMetricsRecorder(classID: classID, method: method.name)
    }

    var isAsync: Bool {
        switch body {
        case .sync: false
        case .async: true
        }
    }
}
