import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacros

/// `@Service(_ name:package:)`: conforms a final `OaasObject` subclass to `OaasService`.
///
/// The extension it writes holds the service definition (one `method` builder call per
/// `@Method` function, in declaration order, each its own statement), the names of the persisted fields (the stored
/// instance `var`s not marked `@Transient`, in declaration order), and the code that moves those
/// fields to and from the object's entries.
public struct ServiceMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard let classDecl = declaration.as(ClassDeclSyntax.self) else {
            context.diagnose(Diagnostic(node, .serviceNotOnClass(kind: declarationKindPhrase(declaration))))
            return []
        }

        var diagnostics: [Diagnostic] = []
        let identity = readServiceIdentity(node, diagnostics: &diagnostics)

        if classDecl.modifiers.modifier(.final) == nil {
            let keyword = classDecl.classKeyword
            let insertion = keyword.positionAfterSkippingLeadingTrivia
            diagnostics.append(Diagnostic(
                keyword,
                .serviceClassNotFinal(className: classDecl.name.identifierName),
                fixIts: [FixIt(message: OaasFixIt.addFinal, changes: [
                    .replaceText(range: insertion..<insertion, with: "final ", in: Syntax(keyword)),
                ])]
            ))
        }

        let members = scanMembers(of: classDecl, diagnostics: &diagnostics)

        let hasErrors = diagnostics.contains { $0.diagMessage.severity == .error }
        diagnostics.forEach(context.diagnose)
        guard !hasErrors, let identity else { return [] }

        let source = extensionSource(
            type: TypeSyntax(type.trimmed), conforms: !protocols.isEmpty, identity: identity,
            access: accessPrefix(of: classDecl), members: members
        )
        let extensionDecl = DeclSyntax(stringLiteral: source)
        guard let result = extensionDecl.as(ExtensionDeclSyntax.self) else { return [] }
        return [result]
    }
}

// MARK: Reading the declaration

/// The service's name and package, as given to `@Service`.
private struct ServiceIdentity {
    var name: String
    /// The package, if the attribute names one.
    var package: String?
}

/// Reads and checks `@Service("Name", package: "pkg")`; `nil` when the name is missing or is
/// not a literal.
private func readServiceIdentity(_ node: AttributeSyntax, diagnostics: inout [Diagnostic]) -> ServiceIdentity? {
    let (arguments, literalDiagnostics) = literalArguments(
        of: node, macro: "Service", kinds: [nil: .string, "package": .string]
    )
    diagnostics += literalDiagnostics
    guard let nameArgument = arguments.first(where: { $0.label == nil }) else {
        diagnostics.append(Diagnostic(node, .serviceMissingName))
        return nil
    }
    guard case .string(let name)? = nameArgument.value else { return nil }
    if name.isEmpty {
        diagnostics.append(Diagnostic(nameArgument.syntax.expression, .serviceEmptyName))
    } else if name.contains("/") {
        diagnostics.append(Diagnostic(nameArgument.syntax.expression, .serviceNameContainsSlash(name: name)))
    }
    var identity = ServiceIdentity(name: name)
    if let packageArgument = arguments.first(where: { $0.label == "package" }) {
        guard case .string(let package)? = packageArgument.value else { return nil }
        if package.isEmpty {
            diagnostics.append(Diagnostic(packageArgument.syntax.expression, .serviceEmptyPackage))
        } else if package.contains("/") {
            diagnostics.append(
                Diagnostic(packageArgument.syntax.expression, .servicePackageContainsSlash(package: package))
            )
        }
        identity.package = package
    }
    return identity
}

/// A stored property persisted as one entry of the object.
private struct PersistedField {
    /// The property's name without backticks: its name in `persistedFields`.
    let name: String
    /// The property's name as written, for `self.name`.
    let accessName: String
    /// The declared type, or `nil` to read it with `type(of:)`.
    let type: TypeSyntax?
}

/// What the class body declares for the service.
private struct ServiceMembers {
    var methods: [ServiceMethod] = []
    var fields: [PersistedField] = []
}

/// Collects the `@Method` functions and persisted properties of the class body, reporting
/// duplicate function ids and properties that cannot be persisted. Functions that `@Method`
/// itself rejects are skipped without a second report.
private func scanMembers(of classDecl: ClassDeclSyntax, diagnostics: inout [Diagnostic]) -> ServiceMembers {
    var members = ServiceMembers()
    var firstUse: [String: AttributeSyntax] = [:]
    var reportedIfConfig = false

    for item in classDecl.memberBlock.members {
        let decl = item.decl
        if let function = decl.as(FunctionDeclSyntax.self),
           let attribute = function.attributes.attribute(named: "Method")
        {
            guard let method = ServiceMethod.analyze(function, attribute: attribute).method else { continue }
            if let first = firstUse[method.functionID] {
                diagnostics.append(Diagnostic(
                    attribute, .duplicateMethodName(name: method.functionID),
                    notes: [Note(node: Syntax(first), message: OaasNote.methodNameFirstUsed(name: method.functionID))]
                ))
                continue
            }
            firstUse[method.functionID] = attribute
            members.methods.append(method)
        } else if let variable = decl.as(VariableDeclSyntax.self) {
            members.fields += persistedFields(of: variable, diagnostics: &diagnostics)
        } else if let ifConfig = decl.as(IfConfigDeclSyntax.self), !reportedIfConfig,
                  ifConfigHidesServiceMembers(ifConfig)
        {
            reportedIfConfig = true
            diagnostics.append(Diagnostic(ifConfig.clauses.first?.poundKeyword ?? ifConfig.poundEndif,
                                          .membersInsideIfConfig))
        }
    }
    return members
}

/// Whether an `#if` block declares `@Method` functions or instance `var`s, which `@Service`
/// cannot see (it does not know which branch is compiled).
private func ifConfigHidesServiceMembers(_ ifConfig: IfConfigDeclSyntax) -> Bool {
    for clause in ifConfig.clauses {
        guard case .decls(let items) = clause.elements else { continue }
        for item in items {
            if let function = item.decl.as(FunctionDeclSyntax.self), function.attributes.attribute(named: "Method") != nil {
                return true
            }
            if let variable = item.decl.as(VariableDeclSyntax.self),
               variable.bindingSpecifier.tokenKind == .keyword(.var),
               variable.modifiers.modifier(.static) == nil, variable.modifiers.modifier(.class) == nil,
               variable.attributes.attribute(named: "Transient") == nil
            {
                return true
            }
            if let nested = item.decl.as(IfConfigDeclSyntax.self), ifConfigHidesServiceMembers(nested) {
                return true
            }
        }
    }
    return false
}

/// The persisted fields a `var` declaration adds: one per stored name, none for `let`s,
/// statics, `lazy`, computed and `@Transient` properties.
private func persistedFields(of variable: VariableDeclSyntax, diagnostics: inout [Diagnostic]) -> [PersistedField] {
    guard variable.bindingSpecifier.tokenKind == .keyword(.var),
          variable.modifiers.modifier(.static) == nil,
          variable.modifiers.modifier(.class) == nil,
          variable.modifiers.modifier(.lazy) == nil,
          variable.attributes.attribute(named: "Transient") == nil
    else { return [] }

    let bindings = Array(variable.bindings)
    var fields: [PersistedField] = []
    for (index, binding) in bindings.enumerated() {
        if isComputed(binding) { continue }
        guard let identifier = binding.pattern.as(IdentifierPatternSyntax.self) else {
            diagnostics.append(Diagnostic(binding.pattern, .persistedFieldDestructuring))
            continue
        }
        var type = binding.typeAnnotation?.type
        if type == nil && binding.initializer == nil {
            // `var a, b: Int`: the annotation of a later name covers the earlier ones.
            type = bindings[(index + 1)...].lazy.compactMap { $0.typeAnnotation?.type }.first
            if type == nil {
                diagnostics.append(Diagnostic(
                    binding.pattern, .persistedFieldWithoutType(name: identifier.identifier.identifierName)
                ))
                continue
            }
        }
        fields.append(PersistedField(
            name: identifier.identifier.identifierName,
            accessName: identifier.identifier.text,
            type: type?.trimmed
        ))
    }
    return fields
}

/// Whether a binding is a computed property: a getter block, or accessors other than
/// `willSet`/`didSet` observers.
private func isComputed(_ binding: PatternBindingSyntax) -> Bool {
    guard let accessorBlock = binding.accessorBlock else { return false }
    switch accessorBlock.accessors {
    case .getter:
        return true
    case .accessors(let accessors):
        return accessors.contains { accessor in
            let kind = accessor.accessorSpecifier.tokenKind
            return kind != .keyword(.willSet) && kind != .keyword(.didSet)
        }
    }
}

/// `public ` for a public or open class, `package ` for a package one, else nothing: the
/// conformance's members must be as visible as the class.
private func accessPrefix(of classDecl: ClassDeclSyntax) -> String {
    if classDecl.modifiers.modifier(.public) != nil || classDecl.modifiers.modifier(.open) != nil {
        return "public "
    }
    if classDecl.modifiers.modifier(.package) != nil {
        return "package "
    }
    return ""
}

// MARK: Writing the extension

/// The source of the conformance extension.
private func extensionSource(
    type: TypeSyntax, conforms: Bool, identity: ServiceIdentity, access: String, members: ServiceMembers
) -> String {
    let typeName = type.trimmedDescription
    var start = "OaaS.ServiceDefinition<\(typeName)>(\(stringLiteralSource(identity.name))"
    if let package = identity.package {
        start += ", package: \(stringLiteralSource(package))"
    }
    start += ")"
    // One statement per method rather than one chained expression: the type checker solves a
    // chain of overloaded builder calls as a whole, which grows steeply with its length, while
    // separate statements are checked one by one.
    var definition = start
    if !members.methods.isEmpty {
        definition = "var definition = \(start)"
        for method in members.methods {
            definition += "\n        definition = definition" + methodRegistration(method, typeName: typeName)
        }
        definition += "\n        return definition"
    }

    let fieldNames = members.fields.map { stringLiteralSource($0.name) }.joined(separator: ", ")
    let saves = members.fields.enumerated().map { index, field in
        "\n        try state.write(self.\(field.accessName), field: \(index))"
    }.joined()
    let loads = members.fields.enumerated().map { index, field in
        let metatype = field.type?.metatypeSource ?? "Swift.type(of: self.\(field.accessName))"
        return "\n        if let value = try state.read(\(metatype), field: \(index)) { self.\(field.accessName) = value }"
    }.joined()
    let bodyEnd = members.fields.isEmpty ? "}" : "\n    }"

    return """
        extension \(typeName)\(conforms ? ": OaaS.OaasService" : "") {
            \(access)static var serviceDefinition: OaaS.ServiceDefinition<\(typeName)> {
                \(definition)
            }

            \(access)static var persistedFields: [String] {
                [\(fieldNames)]
            }

            \(access)func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {\(saves)\(bodyEnd)

            \(access)func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {\(loads)\(bodyEnd)
        }
        """
}

/// One `.method(...) { ... }` call adding a method to the definition.
private func methodRegistration(_ method: ServiceMethod, typeName: String) -> String {
    var arguments = [stringLiteralSource(method.functionID)]
    let several = method.parameters.count > 1
    if several {
        let keys = method.parameters.map { stringLiteralSource($0.key) }.joined(separator: ", ")
        let types = method.parameters.map(\.type.trimmedDescription).joined(separator: ", ")
        arguments.append("parameters: [\(keys)]")
        arguments.append("parameterTypes: \(stringLiteralSource("(\(types))"))")
    }
    if method.options.stateless { arguments.append("stateless: true") }
    if method.options.serveWithAgent { arguments.append("serveWithAgent: true") }

    var closureParameters = "object: \(typeName)"
    var callArguments: [String] = []
    switch method.parameters.count {
    case 0:
        break
    case 1:
        let parameter = method.parameters[0]
        closureParameters += ", argument: \(parameter.type.trimmedDescription)"
        callArguments.append(labeled(parameter.label, "argument"))
    default:
        closureParameters += ", arguments: OaaS.PayloadArguments"
        for (index, parameter) in method.parameters.enumerated() {
            callArguments.append(labeled(
                parameter.label, "arguments.decode(\(parameter.type.metatypeSource), at: \(index))"
            ))
        }
    }

    // Decoding several arguments throws, so that closure throws whatever the method does.
    let throwing = method.isThrowing || several
    var effects = ""
    if method.isAsync { effects += " async" }
    if throwing { effects += " throws" }
    let resultType = method.resultType?.trimmedDescription ?? "Void"

    var call = "object.\(method.callName)(\(callArguments.joined(separator: ", ")))"
    if method.isAsync { call = "await " + call }
    if throwing { call = "try " + call }

    return """
        .method(\(arguments.joined(separator: ", "))) { (\(closureParameters))\(effects) -> \(resultType) in
                    \(call)
                }
        """
}

/// `label: expression`, or the bare expression for an unlabeled argument.
private func labeled(_ label: String?, _ expression: String) -> String {
    label.map { "\($0): \(expression)" } ?? expression
}
