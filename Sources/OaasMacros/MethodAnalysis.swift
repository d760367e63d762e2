import SwiftDiagnostics
import SwiftSyntax

/// The options of one `@Method(name:stateless:serveWithAgent:)` attribute.
struct MethodAttributeOptions {
    /// The function id given by `name:`, if any.
    var name: String?
    var stateless = false
    var serveWithAgent = false

    /// Reads the attribute's literal arguments; the diagnostics cover non-literal arguments
    /// and invalid names.
    static func read(_ attribute: AttributeSyntax) -> (options: MethodAttributeOptions, diagnostics: [Diagnostic]) {
        let (arguments, literalDiagnostics) = literalArguments(
            of: attribute, macro: "Method",
            kinds: ["name": .optionalString, "stateless": .bool, "serveWithAgent": .bool]
        )
        var diagnostics = literalDiagnostics
        var options = MethodAttributeOptions()
        for argument in arguments {
            switch (argument.label, argument.value) {
            case ("name", .string(let name)?):
                if name.isEmpty {
                    diagnostics.append(Diagnostic(argument.syntax.expression, .methodEmptyName))
                } else if name.contains("/") {
                    diagnostics.append(Diagnostic(argument.syntax.expression, .methodNameContainsSlash(name: name)))
                }
                options.name = name
            case ("stateless", .bool(let value)?):
                options.stateless = value
            case ("serveWithAgent", .bool(let value)?):
                options.serveWithAgent = value
            default:
                break
            }
        }
        return (options, diagnostics)
    }
}

/// One parameter of a service method.
struct ServiceMethodParameter {
    /// The argument label in a call, `nil` for `_`.
    let label: String?
    /// The key of the argument in the JSON-object form of a several-argument payload: the
    /// argument label, or the parameter name when there is no label.
    let key: String
    /// The parameter's type, without ownership specifiers.
    let type: TypeSyntax
}

/// A `@Method` function of a service, checked and ready to generate its registration.
struct ServiceMethod {
    /// The `@Method` attribute (where diagnostics about the method point).
    let attribute: AttributeSyntax
    /// The function id: `name:` if given, else the function's base name.
    let functionID: String
    let options: MethodAttributeOptions
    /// The function's name as written (backticks kept), for the call.
    let callName: String
    let parameters: [ServiceMethodParameter]
    let isAsync: Bool
    let isThrowing: Bool
    /// The result type, `nil` for `Void`.
    let resultType: TypeSyntax?

    /// Checks `function` (marked with `attribute`) and describes it; the diagnostics say why a
    /// function cannot be a service method, and the method is `nil` when there are any.
    static func analyze(
        _ function: FunctionDeclSyntax, attribute: AttributeSyntax
    ) -> (method: ServiceMethod?, diagnostics: [Diagnostic]) {
        var (options, diagnostics) = MethodAttributeOptions.read(attribute)
        let baseName = function.name.identifierName

        if let modifier = function.modifiers.modifier(.static) ?? function.modifiers.modifier(.class) {
            diagnostics.append(Diagnostic(modifier, .methodOnStaticMember(keyword: modifier.name.text)))
        }
        if let generics = function.genericParameterClause {
            diagnostics.append(Diagnostic(generics, .methodGeneric(name: baseName)))
        } else if let whereClause = function.genericWhereClause {
            diagnostics.append(Diagnostic(whereClause, .methodGeneric(name: baseName)))
        }

        var parameters: [ServiceMethodParameter] = []
        for (index, parameter) in function.signature.parameterClause.parameters.enumerated() {
            let firstName = parameter.firstName.identifierName
            let secondName = parameter.secondName?.identifierName
            let internalName = secondName ?? firstName
            let label: String? = firstName == "_" ? nil : firstName
            let key = label ?? (internalName == "_" ? "_\(index)" : internalName)
            let displayName = internalName == "_" ? "#\(index + 1)" : internalName

            var type = parameter.type
            if let attributed = type.as(AttributedTypeSyntax.self) {
                let specifiers = Array(attributed.specifiers) + Array(attributed.lateSpecifiers)
                let isInout = specifiers.contains { element in
                    if case .simpleTypeSpecifier(let specifier) = element {
                        return specifier.specifier.tokenKind == .keyword(.inout)
                    }
                    return false
                }
                if isInout {
                    diagnostics.append(Diagnostic(parameter, .methodInoutParameter(parameter: displayName)))
                } else if attributed.attributes.isEmpty {
                    type = attributed.baseType  // `borrowing T`, `consuming T`: decode a `T`
                }
            }
            if parameter.ellipsis != nil {
                diagnostics.append(Diagnostic(parameter, .methodVariadicParameter(parameter: displayName)))
            }
            if type.isOpaque {
                diagnostics.append(Diagnostic(parameter.type, .methodOpaqueParameter(parameter: displayName)))
            }
            parameters.append(ServiceMethodParameter(label: label, key: key, type: type.trimmed))
        }

        var resultType: TypeSyntax?
        if let type = function.signature.returnClause?.type {
            if type.isOpaque {
                diagnostics.append(Diagnostic(type, .methodOpaqueResult(name: baseName)))
            }
            resultType = type.isVoid ? nil : type.trimmed
        }

        guard diagnostics.isEmpty else { return (nil, diagnostics) }
        if options.name == nil { options.name = baseName }
        let effects = function.signature.effectSpecifiers
        let method = ServiceMethod(
            attribute: attribute,
            functionID: options.name ?? baseName,
            options: options,
            callName: function.name.text,
            parameters: parameters,
            isAsync: effects?.asyncSpecifier != nil,
            isThrowing: effects?.throwsClause != nil,
            resultType: resultType
        )
        return (method, [])
    }
}
