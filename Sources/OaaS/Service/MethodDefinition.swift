import struct Foundation.Data

/// How a method is served, as the design's `@oaas.method(...)` options say.
public struct MethodOptions: Sendable, Equatable {
    /// A stateless function: no object state is loaded or committed, and agents listen on the
    /// class-wide key (`oprc/{cls}/{partition}/invokes/{fn}`).
    public var stateless: Bool
    /// Served by agents (message-queue keys of specific objects) rather than only by the server.
    public var serveWithAgent: Bool

    /// Makes options; the default is a stateful method served by the gRPC server.
    public init(stateless: Bool = false, serveWithAgent: Bool = false) {
        self.stateless = stateless
        self.serveWithAgent = serveWithAgent
    }
}

/// One method of a service: its wire name (`fn_id`), options, and the body that turns a
/// request payload into a response payload.
///
/// Made by ``ServiceDefinition``'s `method` builders. Bodies run on the loop thread of the
/// call; they need not be `Sendable`, since a registered method is only ever run there.
public struct MethodDefinition<Object: OaasService> {
    /// The function id callers use (`fn_id`).
    public let name: String
    /// How the method is served.
    public let options: MethodOptions
    /// Swift name of the argument's type, or `nil` for a method without one. It shapes error
    /// payloads as the Python SDK does: a method with an argument reports failures as a JSON
    /// error object naming this type, one without reports the error's text.
    public let parameterType: String?
    /// Whether the body suspends (an `async` method).
    public var isAsync: Bool {
        switch body {
        case .sync: false
        case .async: true
        }
    }

    let body: Body

    /// The payload-to-payload form of the method. A thrown error becomes `APP_ERROR`.
    enum Body {
        case sync((Object, Data) throws -> Data)
        case async((Object, Data) async throws -> Data)
    }

    /// A method from its payload-to-payload body, for methods whose shape the typed builders
    /// of ``ServiceDefinition`` do not cover. The body decodes its own argument.
    public init(name: String, options: MethodOptions = MethodOptions(), parameterType: String?,
                body: @escaping (Object, Data) throws -> Data) {
        self.init(name: name, options: options, parameterType: parameterType, body: .sync(body))
    }

    /// An `async` method from its payload-to-payload body.
    public init(name: String, options: MethodOptions = MethodOptions(), parameterType: String?,
                asyncBody: @escaping (Object, Data) async throws -> Data) {
        self.init(name: name, options: options, parameterType: parameterType, body: .async(asyncBody))
    }

    init(name: String, options: MethodOptions, parameterType: String?, body: Body) {
        self.name = name
        self.options = options
        self.parameterType = parameterType
        self.body = body
    }
}
