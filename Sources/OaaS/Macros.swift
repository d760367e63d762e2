/// Makes a final ``OaasObject`` subclass an OaaS service: writes its ``OaasService`` conformance.
///
/// ```swift
/// @Service("Calculator", package: "math")
/// final class Calculator: OaasObject {
///     var result: Double = 0          // persisted as entry "0"
///     @Transient var scratch = 0      // not persisted
///
///     @Method func add(_ value: Double) -> Double { result += value; return result }
/// }
/// ```
///
/// The generated extension holds:
/// - ``OaasService/serviceDefinition``: the class id `package.name` and one method per `@Method`
///   function of the class body, in declaration order;
/// - ``OaasService/persistedFields``: the stored instance `var`s of the class body in declaration
///   order, except `@Transient`, `lazy`, `static`/`class` and computed ones (`let`s are never
///   persisted). A field's entry key is its index in that list (`"0"`, `"1"`, …);
/// - ``OaasService/saveState(into:)`` and ``OaasService/loadState(from:)``, which move those fields
///   to and from the object's entries. Each persisted field's type must be `Codable`; give it a
///   type annotation or an initial value.
///
/// Members are `public` when the class is `public` or `open`. Members declared in extensions or
/// inside `#if` are not seen. The generated code lives in an extension of the class, so the types
/// in `@Method` signatures and field annotations must be visible from there: in a class nested in
/// another type, write a sibling nested type as `Payload` or `Outer.Service.Payload`, not
/// `Service.Payload`.
///
/// - Parameters:
///   - name: The service name: non-empty, without `/`. A string literal.
///   - package: The package of the class id; `default` as in the Python SDK. A string literal.
@attached(
    extension, conformances: OaasService,
    names: named(serviceDefinition), named(persistedFields), named(saveState), named(loadState)
)
public macro Service(_ name: String, package: String = "default") =
    #externalMacro(module: "OaasMacros", type: "ServiceMacro")

/// Serves an instance method of a ``Service(_:package:)`` class as one of its functions.
///
/// The method takes no parameter, one (the request payload is its JSON value), or several (the
/// payload is a JSON array in parameter order, or a JSON object keyed by the argument labels, or
/// by the parameter names where the label is `_`). Parameter types must be `Decodable` and the
/// result `Encodable` or `Void`; the method may be `async` and may throw (a thrown error is
/// reported to the caller as an application error).
///
/// ```swift
/// @Method func add(_ value: Double) -> Double
/// @Method(name: "complex_calculation", serveWithAgent: true) func complex(_ data: [Double]) async -> Double
/// @Method(stateless: true) func version() -> String
/// ```
///
/// Not for `static`/`class` methods, generic methods, or `inout` and variadic parameters. The
/// attribute itself expands to nothing: `@Service` reads it.
///
/// - Parameters:
///   - name: The function id callers use (`fn_id`); the method's base name when `nil`. Each
///     function id of a service must be unique. A string literal.
///   - stateless: A stateless function: the object's state is neither loaded nor committed.
///     A boolean literal.
///   - serveWithAgent: Served by agents on the platform's message queue too, not only by the
///     gRPC server. A boolean literal.
@attached(peer)
public macro Method(name: String? = nil, stateless: Bool = false, serveWithAgent: Bool = false) =
    #externalMacro(module: "OaasMacros", type: "MethodMacro")

/// Keeps a stored `var` of a ``Service(_:package:)`` class out of the object's persisted state:
/// it starts at its initial value on every call and is never committed.
///
/// ```swift
/// @Transient var scratch = 0
/// ```
///
/// The attribute itself expands to nothing: `@Service` reads it.
@attached(peer)
public macro Transient() = #externalMacro(module: "OaasMacros", type: "TransientMacro")
