import struct Foundation.Data

/// A service's class id and methods: what `@Service` and `@Method` declare, and what a
/// hand-written ``OaasService`` conformance returns.
///
/// ```swift
/// static var serviceDefinition: ServiceDefinition<Calculator> {
///     var definition = ServiceDefinition<Calculator>("Calculator", package: "math")
///     definition = definition.method("add") { (calculator: Calculator, value: Double) -> Double in
///         calculator.add(value)
///     }
///     return definition
/// }
/// ```
/// Builders return a new definition. They can be chained, but with more than a handful of
/// methods write one statement per method (as `@Service` does): the overloads make long chains
/// slow to type-check. Spell out the closure's parameter and result types, which picks the
/// overload. A later method with the same name replaces the earlier one. Read on the thread that registers the service.
public struct ServiceDefinition<Object: OaasService> {
    /// The service name, e.g. `Calculator`.
    public let name: String
    /// The package, e.g. `math`; `default` when none is given.
    public let package: String
    /// The methods in declaration order.
    public private(set) var methods: [MethodDefinition<Object>] = []

    /// The class id every request names: `package.Name`.
    public var classID: String { "\(package).\(name)" }

    /// Starts a definition without methods.
    /// - Parameters:
    ///   - name: the service name; must be non-empty and contain no `/`.
    ///   - package: the package; `default` as in the Python SDK.
    public init(_ name: String, package: String = "default") {
        self.name = name
        self.package = package
    }

    /// The definition with `method` added (replacing one of the same name).
    public func adding(_ method: MethodDefinition<Object>) -> Self {
        var copy = self
        copy.methods.removeAll { $0.name == method.name }
        copy.methods.append(method)
        return copy
    }

    /// The method called `name`, if any.
    public func method(named name: String) -> MethodDefinition<Object>? {
        methods.first { $0.name == name }
    }
}

// MARK: Typed builders
//
// Each shape of method (no argument, one argument, several; sync or async; a result or
// `Void`) has a builder that wraps the typed body into the payload-to-payload form. They are
// `@inlinable` so the codec's fast paths specialize in the module that declares the service.

extension ServiceDefinition {
    /// Adds a method without an argument that returns a value (encoded by
    /// ``PayloadCodec/encodeResult(_:)``: a `String` raw, JSON otherwise).
    @inlinable
    public func method<Result: Encodable>(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object) throws -> Result
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: nil) { object, _ in
            try PayloadCodec.encodeResult(body(object))
        })
    }

    /// Adds a method without an argument or result.
    @inlinable
    public func method(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object) throws -> Void
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: nil) { object, _ in
            try body(object)
            return Data()
        })
    }

    /// Adds a method with one argument (decoded by ``PayloadCodec/decodeArgument(_:from:)``)
    /// that returns a value.
    @inlinable
    public func method<Argument: Decodable, Result: Encodable>(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, Argument) throws -> Result
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: typeName(Argument.self)) { object, payload in
            let argument = try PayloadCodec.decodeArgument(Argument.self, from: payload)
            return try PayloadCodec.encodeResult(body(object, argument))
        })
    }

    /// Adds a method with one argument and no result.
    @inlinable
    public func method<Argument: Decodable>(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, Argument) throws -> Void
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: typeName(Argument.self)) { object, payload in
            try body(object, PayloadCodec.decodeArgument(Argument.self, from: payload))
            return Data()
        })
    }

    /// Adds a method with several arguments, sent as a JSON array (in parameter order) or a
    /// JSON object keyed by `parameters` (see ``PayloadArguments``), that returns a value.
    @inlinable
    public func method<Result: Encodable>(
        _ name: String, parameters: [String], parameterTypes: String,
        stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, PayloadArguments) throws -> Result
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: parameterTypes) { object, payload in
            try PayloadCodec.encodeResult(body(object, PayloadArguments(payload, names: parameters)))
        })
    }

    /// Adds a method with several arguments and no result.
    @inlinable
    public func method(
        _ name: String, parameters: [String], parameterTypes: String,
        stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, PayloadArguments) throws -> Void
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: parameterTypes) { object, payload in
            try body(object, PayloadArguments(payload, names: parameters))
            return Data()
        })
    }

    // MARK: async

    /// Adds an `async` method without an argument that returns a value.
    @inlinable
    public func method<Result: Encodable>(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object) async throws -> Result
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: nil) { object, _ in
            try await PayloadCodec.encodeResult(body(object))
        })
    }

    /// Adds an `async` method without an argument or result.
    @inlinable
    public func method(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object) async throws -> Void
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: nil) { object, _ in
            try await body(object)
            return Data()
        })
    }

    /// Adds an `async` method with one argument that returns a value.
    @inlinable
    public func method<Argument: Decodable, Result: Encodable>(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, Argument) async throws -> Result
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: typeName(Argument.self)) { object, payload in
            let argument = try PayloadCodec.decodeArgument(Argument.self, from: payload)
            return try await PayloadCodec.encodeResult(body(object, argument))
        })
    }

    /// Adds an `async` method with one argument and no result.
    @inlinable
    public func method<Argument: Decodable>(
        _ name: String, stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, Argument) async throws -> Void
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: typeName(Argument.self)) { object, payload in
            let argument = try PayloadCodec.decodeArgument(Argument.self, from: payload)
            try await body(object, argument)
            return Data()
        })
    }

    /// Adds an `async` method with several arguments that returns a value.
    @inlinable
    public func method<Result: Encodable>(
        _ name: String, parameters: [String], parameterTypes: String,
        stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, PayloadArguments) async throws -> Result
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: parameterTypes) { object, payload in
            let arguments = try PayloadArguments(payload, names: parameters)
            return try await PayloadCodec.encodeResult(body(object, arguments))
        })
    }

    /// Adds an `async` method with several arguments and no result.
    @inlinable
    public func method(
        _ name: String, parameters: [String], parameterTypes: String,
        stateless: Bool = false, serveWithAgent: Bool = false,
        _ body: @escaping (Object, PayloadArguments) async throws -> Void
    ) -> Self {
        adding(MethodDefinition(name: name, options: MethodOptions(stateless: stateless, serveWithAgent: serveWithAgent),
                                parameterType: parameterTypes) { object, payload in
            try await body(object, PayloadArguments(payload, names: parameters))
            return Data()
        })
    }
}

/// The short Swift name of a type (`Double`, `Array<Int>`), for error payloads.
@usableFromInline
func typeName<T>(_ type: T.Type) -> String {
    String(describing: type)
}
