import SwiftCompilerPlugin
import SwiftSyntaxMacros

/// The compiler plugin that serves OaaS's macros.
@main
struct OaasMacrosPlugin: CompilerPlugin {
    let providingMacros: [Macro.Type] = [
        ServiceMacro.self,
        MethodMacro.self,
        TransientMacro.self,
    ]
}
