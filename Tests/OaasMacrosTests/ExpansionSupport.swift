import OaasMacros
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacrosGenericTestSupport
import Testing

/// The macros as the OaaS module declares them.
let oaasMacroSpecs: [String: MacroSpec] = [
    "Service": MacroSpec(type: ServiceMacro.self, conformances: ["OaasService"]),
    "Method": MacroSpec(type: MethodMacro.self),
    "Transient": MacroSpec(type: TransientMacro.self),
]

/// Expands the OaaS macros in `source` and checks the result, the diagnostics and (when given)
/// the source after applying the Fix-Its; failures are recorded as Swift Testing issues.
func assertOaasExpansion(
    _ source: String,
    expandedSource: String,
    diagnostics: [DiagnosticSpec] = [],
    fixedSource: String? = nil,
    fileID: StaticString = #fileID,
    filePath: StaticString = #filePath,
    line: UInt = #line,
    column: UInt = #column
) {
    assertMacroExpansion(
        source,
        expandedSource: expandedSource,
        diagnostics: diagnostics,
        macroSpecs: oaasMacroSpecs,
        fixedSource: fixedSource,
        indentationWidth: .spaces(4),
        failureHandler: { failure in
            Issue.record(
                Comment(rawValue: failure.message),
                sourceLocation: SourceLocation(
                    fileID: failure.location.fileID, filePath: failure.location.filePath,
                    line: failure.location.line, column: failure.location.column
                )
            )
        },
        fileID: fileID, filePath: filePath, line: line, column: column
    )
}
