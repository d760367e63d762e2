import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@Method(name:stateless:serveWithAgent:)`: marks an instance method of a `@Service` class as
/// one of its functions. It expands to nothing; ``ServiceMacro`` reads the attribute. Here it
/// checks its own declaration, so each problem is reported once, at the method.
public struct MethodMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let function = declaration.as(FunctionDeclSyntax.self) else {
            context.diagnose(Diagnostic(node, .methodNotOnFunction(kind: declarationKindPhrase(declaration))))
            return []
        }
        let (_, diagnostics) = ServiceMethod.analyze(function, attribute: node)
        diagnostics.forEach(context.diagnose)
        if isOutsideServiceClassBody(context.lexicalContext, skipping: Syntax(function)) {
            context.diagnose(Diagnostic(node, .methodOutsideService))
        }
        return []
    }
}

/// `@Transient`: keeps a stored `var` of a `@Service` class out of the object's persisted state.
/// It expands to nothing; ``ServiceMacro`` reads the attribute.
public struct TransientMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let variable = declaration.as(VariableDeclSyntax.self) else {
            context.diagnose(Diagnostic(node, .transientNotOnVariable(kind: declarationKindPhrase(declaration))))
            return []
        }
        if isOutsideServiceClassBody(context.lexicalContext, skipping: Syntax(variable)) {
            context.diagnose(Diagnostic(node, .transientOutsideService))
        }
        return []
    }
}

/// Whether the lexical context of a marker attached to `declaration` shows that the declaration
/// is not a member of a class marked `@Service` (an extension, a struct, a nested function…).
/// An empty context (a host that does not provide one) is given the benefit of the doubt.
private func isOutsideServiceClassBody(_ lexicalContext: [Syntax], skipping declaration: Syntax) -> Bool {
    var contexts = lexicalContext[...]
    // Depending on where the walk starts, the declaration itself may come first.
    if let first = contexts.first, isSameDeclaration(first, declaration) {
        contexts = contexts.dropFirst()
    }
    guard let enclosing = contexts.first else { return false }
    guard let classDecl = enclosing.as(ClassDeclSyntax.self) else { return true }
    return classDecl.attributes.attribute(named: "Service") == nil
}

/// Whether the lexical-context entry `entry` (a stripped copy) stands for `declaration`.
private func isSameDeclaration(_ entry: Syntax, _ declaration: Syntax) -> Bool {
    if let entryFunction = entry.as(FunctionDeclSyntax.self), let function = declaration.as(FunctionDeclSyntax.self) {
        return entryFunction.name.text == function.name.text
            && entryFunction.signature.trimmedDescription == function.signature.trimmedDescription
    }
    if let binding = entry.as(PatternBindingSyntax.self), let variable = declaration.as(VariableDeclSyntax.self) {
        return variable.bindings.contains { $0.pattern.trimmedDescription == binding.pattern.trimmedDescription }
    }
    return false
}
