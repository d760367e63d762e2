import SwiftDiagnostics
import SwiftSyntax

// MARK: Attributes

extension AttributeSyntax {
    /// The attribute's unqualified name: `Method` for both `@Method` and `@OaaS.Method`.
    var simpleName: String? {
        if let identifier = attributeName.as(IdentifierTypeSyntax.self) {
            return identifier.name.identifierName
        }
        if let member = attributeName.as(MemberTypeSyntax.self) {
            return member.name.identifierName
        }
        return nil
    }
}

extension AttributeListSyntax {
    /// The first attribute called `name` (qualified or not), ignoring `#if`-guarded ones.
    func attribute(named name: String) -> AttributeSyntax? {
        for element in self {
            if case .attribute(let attribute) = element, attribute.simpleName == name {
                return attribute
            }
        }
        return nil
    }
}

extension DeclModifierListSyntax {
    /// The modifier spelled `keyword`, if present.
    func modifier(_ keyword: Keyword) -> DeclModifierSyntax? {
        first { $0.name.tokenKind == .keyword(keyword) }
    }
}

extension TokenSyntax {
    /// An identifier's name without backticks (`default` for `` `default` ``).
    var identifierName: String {
        identifier?.name ?? text
    }
}

// MARK: Literal arguments

/// The value of a literal macro argument.
enum LiteralValue: Equatable {
    case string(String)
    case bool(Bool)
    case none
}

/// What a macro argument may be.
enum LiteralKind {
    case string
    case optionalString
    case bool

    var phrase: String {
        switch self {
        case .string: "a string literal"
        case .optionalString: "a string literal or nil"
        case .bool: "a boolean literal (true or false)"
        }
    }
}

/// Evaluates `expression` as a literal of `kind`; `nil` when it is anything else.
func literalValue(of expression: ExprSyntax, as kind: LiteralKind) -> LiteralValue? {
    switch kind {
    case .string:
        return stringLiteralValue(expression).map(LiteralValue.string)
    case .optionalString:
        if expression.is(NilLiteralExprSyntax.self) { return LiteralValue.none }
        return stringLiteralValue(expression).map(LiteralValue.string)
    case .bool:
        guard let literal = expression.as(BooleanLiteralExprSyntax.self) else { return nil }
        return .bool(literal.literal.tokenKind == .keyword(.true))
    }
}

/// The value of a string literal without interpolations, its escapes resolved.
func stringLiteralValue(_ expression: ExprSyntax) -> String? {
    guard let literal = expression.as(StringLiteralExprSyntax.self), !literal.hasError else { return nil }
    let isRaw = literal.openingPounds != nil
    var value = ""
    for segment in literal.segments {
        guard let text = segment.as(StringSegmentSyntax.self) else { return nil }  // an interpolation
        if isRaw {
            value += text.content.text
        } else {
            guard let unescaped = unescape(text.content.text) else { return nil }
            value += unescaped
        }
    }
    return value
}

/// Resolves the escapes of a non-raw string literal segment (`\n`, `\"`, `\u{41}`, …), and the
/// line continuations of a multi-line literal.
private func unescape(_ text: String) -> String? {
    var result = ""
    var characters = text.makeIterator()
    while let character = characters.next() {
        guard character == "\\" else {
            result.append(character)
            continue
        }
        guard let escaped = characters.next() else { return nil }
        switch escaped {
        case "0": result.append("\0")
        case "\\": result.append("\\")
        case "t": result.append("\t")
        case "n": result.append("\n")
        case "r": result.append("\r")
        case "\"": result.append("\"")
        case "'": result.append("'")
        case "\n", "\r\n": break  // a line continuation
        case "u":
            guard characters.next() == "{" else { return nil }
            var digits = ""
            while let digit = characters.next(), digit != "}" { digits.append(digit) }
            guard let scalarValue = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(scalarValue) else {
                return nil
            }
            result.unicodeScalars.append(scalar)
        default: return nil
        }
    }
    return result
}

/// Swift source for a string literal holding `value`.
func stringLiteralSource(_ value: String) -> String {
    var source = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\\": source += "\\\\"
        case "\"": source += "\\\""
        case "\n": source += "\\n"
        case "\r": source += "\\r"
        case "\t": source += "\\t"
        case "\0": source += "\\0"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                source += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                source.unicodeScalars.append(scalar)
            }
        }
    }
    return source + "\""
}

/// One argument of a macro attribute, evaluated as a literal.
struct LiteralArgument {
    /// The argument label, `nil` for an unlabeled argument.
    let label: String?
    /// The value; `nil` when the expression is not a literal of the expected kind.
    let value: LiteralValue?
    /// The argument's syntax, where diagnostics point.
    let syntax: LabeledExprSyntax
}

/// Reads the arguments of `attribute`, each evaluated with the kind `kinds[label]` says (the
/// unlabeled argument is the key `nil`), and returns them with a diagnostic for every argument
/// that is not a literal of that kind. Labels not in `kinds` are left to the compiler, which
/// checks them against the macro's declaration.
func literalArguments(
    of attribute: AttributeSyntax, macro: String, kinds: [String?: LiteralKind]
) -> (arguments: [LiteralArgument], diagnostics: [Diagnostic]) {
    guard case .argumentList(let list) = attribute.arguments else { return ([], []) }
    var arguments: [LiteralArgument] = []
    var diagnostics: [Diagnostic] = []
    for element in list {
        let label = element.label?.identifierName
        guard let kind = kinds[label] else { continue }
        let value = literalValue(of: element.expression, as: kind)
        if value == nil {
            diagnostics.append(Diagnostic(
                element.expression,
                .nonLiteralArgument(macro: macro, label: label, expected: kind.phrase)
            ))
        }
        arguments.append(LiteralArgument(label: label, value: value, syntax: element))
    }
    return (arguments, diagnostics)
}

// MARK: Types

extension TypeSyntax {
    /// Source for the type's metatype expression: `Double.self`, `[Int].self`, `(any P).self`;
    /// an implicitly unwrapped optional becomes an optional (`Int!` → `Int?.self`).
    var metatypeSource: String {
        if let iuo = self.as(ImplicitlyUnwrappedOptionalTypeSyntax.self) {
            return "\(iuo.wrappedType.trimmedDescription)?.self"
        }
        if isSimpleInExpressionPosition {
            return "\(trimmedDescription).self"
        }
        return "(\(trimmedDescription)).self"
    }

    /// Whether the type can be written as is before `.self` in an expression.
    private var isSimpleInExpressionPosition: Bool {
        if self.is(IdentifierTypeSyntax.self) || self.is(MemberTypeSyntax.self) || self.is(ArrayTypeSyntax.self)
            || self.is(DictionaryTypeSyntax.self)
        {
            return true
        }
        if let optional = self.as(OptionalTypeSyntax.self) {
            return optional.wrappedType.isSimpleInExpressionPosition
        }
        return false
    }

    /// Whether this is `Void` or `()`.
    var isVoid: Bool {
        if let identifier = self.as(IdentifierTypeSyntax.self) {
            return identifier.name.text == "Void" && identifier.genericArgumentClause == nil
        }
        if let member = self.as(MemberTypeSyntax.self) {
            return member.name.text == "Void" && member.baseType.trimmedDescription == "Swift"
        }
        if let tuple = self.as(TupleTypeSyntax.self) {
            return tuple.elements.isEmpty
        }
        return false
    }

    /// Whether this is an opaque `some` type.
    var isOpaque: Bool {
        if let someOrAny = self.as(SomeOrAnyTypeSyntax.self) {
            return someOrAny.someOrAnySpecifier.tokenKind == .keyword(.some)
        }
        if let attributed = self.as(AttributedTypeSyntax.self) {
            return attributed.baseType.isOpaque
        }
        return false
    }
}
