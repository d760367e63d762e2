import SwiftDiagnostics
import SwiftSyntax

/// Every error and warning the OaaS macros report, with the text the user reads.
enum OaasDiagnostic: DiagnosticMessage {
    // @Service
    case serviceNotOnClass(kind: String)
    case serviceClassNotFinal(className: String)
    case serviceMissingName
    case serviceEmptyName
    case serviceNameContainsSlash(name: String)
    case serviceEmptyPackage
    case servicePackageContainsSlash(package: String)
    case duplicateMethodName(name: String)
    case persistedFieldWithoutType(name: String)
    case persistedFieldDestructuring
    case membersInsideIfConfig

    // @Method
    case methodNotOnFunction(kind: String)
    case methodOnStaticMember(keyword: String)
    case methodGeneric(name: String)
    case methodOpaqueParameter(parameter: String)
    case methodOpaqueResult(name: String)
    case methodInoutParameter(parameter: String)
    case methodVariadicParameter(parameter: String)
    case methodEmptyName
    case methodNameContainsSlash(name: String)
    case methodOutsideService

    // @Transient
    case transientNotOnVariable(kind: String)
    case transientOutsideService

    // Shared
    case nonLiteralArgument(macro: String, label: String?, expected: String)

    var message: String {
        switch self {
        case .serviceNotOnClass(let kind):
            "@Service can only be applied to a class (a final subclass of OaasObject), not to \(kind)"
        case .serviceClassNotFinal(let className):
            "@Service class '\(className)' must be final: the runtime makes every instance with init() and "
                + "cannot serve subclasses"
        case .serviceMissingName:
            "@Service needs the service name as its first argument, e.g. @Service(\"Calculator\")"
        case .serviceEmptyName:
            "the service name must not be empty"
        case .serviceNameContainsSlash(let name):
            "the service name '\(name)' must not contain '/': it is part of the platform's keys"
        case .serviceEmptyPackage:
            "the package must not be empty; leave the argument out to use \"default\""
        case .servicePackageContainsSlash(let package):
            "the package '\(package)' must not contain '/': it is part of the platform's keys"
        case .duplicateMethodName(let name):
            "two @Method functions have the same function id '\(name)'; rename one with @Method(name: ...)"
        case .persistedFieldWithoutType(let name):
            "persisted property '\(name)' needs a type annotation or an initial value so @Service can "
                + "encode it; mark it @Transient if it should not be stored"
        case .persistedFieldDestructuring:
            "@Service cannot persist properties declared with a destructuring pattern; declare each "
                + "property separately, or mark the declaration @Transient"
        case .membersInsideIfConfig:
            "@Service does not see members declared inside '#if': their @Method functions and properties "
                + "are neither served nor persisted"
        case .methodNotOnFunction(let kind):
            "@Method can only be applied to an instance method (func) of a @Service class, not to \(kind)"
        case .methodOnStaticMember(let keyword):
            "@Method cannot be applied to a '\(keyword)' method: service methods run on an object instance"
        case .methodGeneric(let name):
            "@Method cannot be applied to the generic method '\(name)': the argument type must be concrete "
                + "to decode the request payload"
        case .methodOpaqueParameter(let parameter):
            "parameter '\(parameter)' of a @Method function cannot have an opaque 'some' type: the argument "
                + "type must be concrete to decode the request payload"
        case .methodOpaqueResult(let name):
            "@Method function '\(name)' cannot return an opaque 'some' type; return a concrete Encodable type"
        case .methodInoutParameter(let parameter):
            "parameter '\(parameter)' of a @Method function cannot be 'inout': arguments are decoded from "
                + "the request payload"
        case .methodVariadicParameter(let parameter):
            "parameter '\(parameter)' of a @Method function cannot be variadic; take an array instead"
        case .methodEmptyName:
            "the function id given by @Method(name:) must not be empty"
        case .methodNameContainsSlash(let name):
            "the function id '\(name)' must not contain '/': it is part of the platform's keys"
        case .methodOutsideService:
            "@Method only has an effect on methods declared in the body of a @Service class"
        case .transientNotOnVariable(let kind):
            "@Transient can only be applied to a stored 'var' property, not to \(kind)"
        case .transientOutsideService:
            "@Transient only has an effect on properties declared in the body of a @Service class"
        case .nonLiteralArgument(let macro, let label, let expected):
            if let label {
                "argument '\(label)' of @\(macro) must be \(expected)"
            } else {
                "the argument of @\(macro) must be \(expected)"
            }
        }
    }

    var severity: DiagnosticSeverity {
        switch self {
        case .membersInsideIfConfig: .warning
        default: .error
        }
    }

    var diagnosticID: MessageID {
        let id: String = switch self {
        case .serviceNotOnClass: "serviceNotOnClass"
        case .serviceClassNotFinal: "serviceClassNotFinal"
        case .serviceMissingName: "serviceMissingName"
        case .serviceEmptyName: "serviceEmptyName"
        case .serviceNameContainsSlash: "serviceNameContainsSlash"
        case .serviceEmptyPackage: "serviceEmptyPackage"
        case .servicePackageContainsSlash: "servicePackageContainsSlash"
        case .duplicateMethodName: "duplicateMethodName"
        case .persistedFieldWithoutType: "persistedFieldWithoutType"
        case .persistedFieldDestructuring: "persistedFieldDestructuring"
        case .membersInsideIfConfig: "membersInsideIfConfig"
        case .methodNotOnFunction: "methodNotOnFunction"
        case .methodOnStaticMember: "methodOnStaticMember"
        case .methodGeneric: "methodGeneric"
        case .methodOpaqueParameter: "methodOpaqueParameter"
        case .methodOpaqueResult: "methodOpaqueResult"
        case .methodInoutParameter: "methodInoutParameter"
        case .methodVariadicParameter: "methodVariadicParameter"
        case .methodEmptyName: "methodEmptyName"
        case .methodNameContainsSlash: "methodNameContainsSlash"
        case .methodOutsideService: "methodOutsideService"
        case .transientNotOnVariable: "transientNotOnVariable"
        case .transientOutsideService: "transientOutsideService"
        case .nonLiteralArgument: "nonLiteralArgument"
        }
        return MessageID(domain: "OaasMacros", id: id)
    }
}

/// Notes attached to an ``OaasDiagnostic``.
enum OaasNote: NoteMessage {
    case methodNameFirstUsed(name: String)

    var message: String {
        switch self {
        case .methodNameFirstUsed(let name): "function id '\(name)' is first used here"
        }
    }

    var noteID: MessageID {
        switch self {
        case .methodNameFirstUsed: MessageID(domain: "OaasMacros", id: "methodNameFirstUsed")
        }
    }
}

/// Fix-its offered with an ``OaasDiagnostic``.
enum OaasFixIt: FixItMessage {
    case addFinal

    var message: String {
        switch self {
        case .addFinal: "add 'final'"
        }
    }

    var fixItID: MessageID {
        switch self {
        case .addFinal: MessageID(domain: "OaasMacros", id: "addFinal")
        }
    }
}

extension Diagnostic {
    /// A diagnostic of the OaaS macros at `node`.
    init(_ node: some SyntaxProtocol, _ message: OaasDiagnostic, notes: [Note] = [], fixIts: [FixIt] = []) {
        self.init(node: Syntax(node), message: message, notes: notes, fixIts: fixIts)
    }
}

/// A phrase naming the kind of a declaration, for diagnostics ("a struct", "a property").
func declarationKindPhrase(_ declaration: some SyntaxProtocol) -> String {
    let syntax = Syntax(declaration)
    if syntax.is(StructDeclSyntax.self) { return "a struct" }
    if syntax.is(EnumDeclSyntax.self) { return "an enum" }
    if syntax.is(ActorDeclSyntax.self) { return "an actor" }
    if syntax.is(ProtocolDeclSyntax.self) { return "a protocol" }
    if syntax.is(ExtensionDeclSyntax.self) { return "an extension" }
    if syntax.is(ClassDeclSyntax.self) { return "a class" }
    if syntax.is(VariableDeclSyntax.self) { return "a property" }
    if syntax.is(InitializerDeclSyntax.self) { return "an initializer" }
    if syntax.is(DeinitializerDeclSyntax.self) { return "a deinitializer" }
    if syntax.is(SubscriptDeclSyntax.self) { return "a subscript" }
    if syntax.is(FunctionDeclSyntax.self) { return "a function" }
    if syntax.is(TypeAliasDeclSyntax.self) { return "a type alias" }
    if syntax.is(EnumCaseDeclSyntax.self) { return "an enum case" }
    if syntax.is(AssociatedTypeDeclSyntax.self) { return "an associated type" }
    return "this declaration"
}
