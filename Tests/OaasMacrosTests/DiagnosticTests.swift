import SwiftSyntaxMacrosGenericTestSupport
import Testing

/// The extension `@Service` writes for a class without (valid) methods or persisted fields.
private func emptyConformance(_ type: String, _ name: String) -> String {
    """
    extension \(type): OaaS.OaasService {
        static var serviceDefinition: OaaS.ServiceDefinition<\(type)> {
            OaaS.ServiceDefinition<\(type)>("\(name)")
        }

        static var persistedFields: [String] {
            []
        }

        func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {
        }

        func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {
        }
    }
    """
}

@Suite("Service macro diagnostics")
struct ServiceDiagnosticTests {
    @Test("@Service on a struct, an enum or an actor is an error")
    func notAClass() {
        for (keyword, phrase) in [("struct", "a struct"), ("enum", "an enum"), ("actor", "an actor")] {
            assertOaasExpansion(
                """
                @Service("Thing")
                \(keyword) Thing {
                }
                """,
                expandedSource: """
                \(keyword) Thing {
                }
                """,
                diagnostics: [
                    DiagnosticSpec(
                        message: "@Service can only be applied to a class (a final subclass of OaasObject), not to \(phrase)",
                        line: 1, column: 1
                    ),
                ]
            )
        }
    }

    @Test("a class that is not final is an error with a fix-it adding 'final'")
    func notFinal() {
        assertOaasExpansion(
            """
            @Service("Open")
            public class Open: OaasObject {
            }
            """,
            expandedSource: """
            public class Open: OaasObject {
            }
            """,
            diagnostics: [
                DiagnosticSpec(
                    message: "@Service class 'Open' must be final: the runtime makes every instance with init() and cannot serve subclasses",
                    line: 2, column: 8,
                    fixIts: [FixItSpec(message: "add 'final'")]
                ),
            ],
            fixedSource: """
            @Service("Open")
            public final class Open: OaasObject {
            }
            """
        )
    }

    @Test("empty names and names or packages containing '/' are errors")
    func invalidNames() {
        let cases: [(attribute: String, message: String, column: Int)] = [
            (#"@Service("")"#, "the service name must not be empty", 10),
            (#"@Service("a/b")"#, "the service name 'a/b' must not contain '/': it is part of the platform's keys", 10),
            (#"@Service("A", package: "x/y")"#,
             "the package 'x/y' must not contain '/': it is part of the platform's keys", 24),
            (#"@Service("A", package: "")"#,
             #"the package must not be empty; leave the argument out to use "default""#, 24),
        ]
        for entry in cases {
            assertOaasExpansion(
                """
                \(entry.attribute)
                final class A: OaasObject {}
                """,
                expandedSource: """
                final class A: OaasObject {}
                """,
                diagnostics: [DiagnosticSpec(message: entry.message, line: 1, column: entry.column)]
            )
        }
    }

    @Test("@Service arguments must be string literals")
    func nonLiteralServiceArguments() {
        assertOaasExpansion(
            #"""
            @Service(serviceName, package: "p\(suffix)")
            final class A: OaasObject {}
            """#,
            expandedSource: """
            final class A: OaasObject {}
            """,
            diagnostics: [
                DiagnosticSpec(message: "the argument of @Service must be a string literal", line: 1, column: 10),
                DiagnosticSpec(message: "argument 'package' of @Service must be a string literal", line: 1, column: 32),
            ]
        )
    }

    @Test("two methods with the same function id are an error pointing at the first")
    func duplicateFunctionIDs() {
        assertOaasExpansion(
            """
            @Service("Dup")
            final class Dup: OaasObject {
                @Method func add(_ value: Int) {}
                @Method func add(_ value: Double) {}
                @Method(name: "add") func plus(_ value: Int) {}
            }
            """,
            expandedSource: """
            final class Dup: OaasObject {
                func add(_ value: Int) {}
                func add(_ value: Double) {}
                func plus(_ value: Int) {}
            }
            """,
            diagnostics: [
                DiagnosticSpec(
                    message: "two @Method functions have the same function id 'add'; rename one with @Method(name: ...)",
                    line: 4, column: 5,
                    notes: [NoteSpec(message: "function id 'add' is first used here", line: 3, column: 5)]
                ),
                DiagnosticSpec(
                    message: "two @Method functions have the same function id 'add'; rename one with @Method(name: ...)",
                    line: 5, column: 5,
                    notes: [NoteSpec(message: "function id 'add' is first used here", line: 3, column: 5)]
                ),
            ]
        )
    }

    @Test("a persisted var without a type annotation or initializer is an error")
    func untypedPersistedField() {
        assertOaasExpansion(
            """
            @Service("Untyped")
            final class Untyped: OaasObject {
                var mystery
                @Transient var ignored
            }
            """,
            expandedSource: """
            final class Untyped: OaasObject {
                var mystery
                var ignored
            }
            """,
            diagnostics: [
                DiagnosticSpec(
                    message: "persisted property 'mystery' needs a type annotation or an initial value so @Service can encode it; mark it @Transient if it should not be stored",
                    line: 3, column: 9
                ),
            ]
        )
    }

    @Test("a destructuring var pattern is an error")
    func destructuringField() {
        assertOaasExpansion(
            """
            @Service("Pair")
            final class Pair: OaasObject {
                var (x, y) = (1, 2)
            }
            """,
            expandedSource: """
            final class Pair: OaasObject {
                var (x, y) = (1, 2)
            }
            """,
            diagnostics: [
                DiagnosticSpec(
                    message: "@Service cannot persist properties declared with a destructuring pattern; declare each property separately, or mark the declaration @Transient",
                    line: 3, column: 9
                ),
            ]
        )
    }

    @Test("members inside #if are reported once, as a warning, and the rest still expands")
    func ifConfigMembers() {
        assertOaasExpansion(
            """
            @Service("Conditional")
            final class Conditional: OaasObject {
                #if DEBUG
                var debugCount = 0
                #endif
                #if os(Linux)
                @Method func linuxOnly() {}
                #endif
                #if DEBUG
                static var ignored = 0
                #endif
            }
            """,
            expandedSource: """
            final class Conditional: OaasObject {
                #if DEBUG
                var debugCount = 0
                #endif
                #if os(Linux)
                func linuxOnly() {}
                #endif
                #if DEBUG
                static var ignored = 0
                #endif
            }

            \(emptyConformance("Conditional", "Conditional"))
            """,
            diagnostics: [
                DiagnosticSpec(
                    message: "@Service does not see members declared inside '#if': their @Method functions and properties are neither served nor persisted",
                    line: 3, column: 5, severity: .warning
                ),
            ]
        )
    }
}

@Suite("Method and Transient macro diagnostics")
struct MarkerDiagnosticTests {
    /// Expands `member` inside a `@Service` class and expects `message` at `line`/`column` of
    /// the source (the member starts on line 3, indented by 4).
    private func expectMethodError(
        _ member: String, expandedMember: String, messages: [(String, Int, Int)],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        assertOaasExpansion(
            """
            @Service("S")
            final class S: OaasObject {
                \(member)
            }
            """,
            expandedSource: """
            final class S: OaasObject {
                \(expandedMember)
            }

            \(emptyConformance("S", "S"))
            """,
            diagnostics: messages.map { DiagnosticSpec(message: $0.0, line: $0.1, column: $0.2) },
            fileID: "OaasMacrosTests/DiagnosticTests.swift", filePath: #filePath,
            line: UInt(sourceLocation.line), column: UInt(sourceLocation.column)
        )
    }

    @Test("@Method on something that is not a function")
    func notAFunction() {
        expectMethodError(
            "@Method let count = 0", expandedMember: "let count = 0",
            messages: [("@Method can only be applied to an instance method (func) of a @Service class, not to a property", 3, 5)]
        )
        expectMethodError(
            "@Method init(x: Int) {}", expandedMember: "init(x: Int) {}",
            messages: [("@Method can only be applied to an instance method (func) of a @Service class, not to an initializer", 3, 5)]
        )
    }

    @Test("@Method on a static or class method")
    func staticMethod() {
        expectMethodError(
            "@Method static func make() -> Int { 0 }", expandedMember: "static func make() -> Int { 0 }",
            messages: [("@Method cannot be applied to a 'static' method: service methods run on an object instance", 3, 13)]
        )
        expectMethodError(
            "@Method class func make() -> Int { 0 }", expandedMember: "class func make() -> Int { 0 }",
            messages: [("@Method cannot be applied to a 'class' method: service methods run on an object instance", 3, 13)]
        )
    }

    @Test("@Method on a generic method, or one with opaque types")
    func genericMethod() {
        expectMethodError(
            "@Method func echo<T: Codable>(_ value: T) -> T { value }",
            expandedMember: "func echo<T: Codable>(_ value: T) -> T { value }",
            messages: [("@Method cannot be applied to the generic method 'echo': the argument type must be concrete to decode the request payload", 3, 22)]
        )
        expectMethodError(
            "@Method func store(_ value: some Codable) -> some Encodable { 1 }",
            expandedMember: "func store(_ value: some Codable) -> some Encodable { 1 }",
            messages: [
                ("parameter 'value' of a @Method function cannot have an opaque 'some' type: the argument type must be concrete to decode the request payload", 3, 33),
                ("@Method function 'store' cannot return an opaque 'some' type; return a concrete Encodable type", 3, 50),
            ]
        )
    }

    @Test("@Method with inout or variadic parameters")
    func inoutAndVariadic() {
        expectMethodError(
            "@Method func bump(_ value: inout Int) {}", expandedMember: "func bump(_ value: inout Int) {}",
            messages: [("parameter 'value' of a @Method function cannot be 'inout': arguments are decoded from the request payload", 3, 23)]
        )
        expectMethodError(
            "@Method func sum(_ values: Int...) -> Int { 0 }", expandedMember: "func sum(_ values: Int...) -> Int { 0 }",
            messages: [("parameter 'values' of a @Method function cannot be variadic; take an array instead", 3, 22)]
        )
    }

    @Test("@Method arguments must be literals, and the name valid")
    func methodArguments() {
        expectMethodError(
            "@Method(name: methodName, stateless: flag) func f() {}", expandedMember: "func f() {}",
            messages: [
                ("argument 'name' of @Method must be a string literal or nil", 3, 19),
                ("argument 'stateless' of @Method must be a boolean literal (true or false)", 3, 42),
            ]
        )
        expectMethodError(
            #"@Method(name: "") func f() {}"#, expandedMember: "func f() {}",
            messages: [("the function id given by @Method(name:) must not be empty", 3, 19)]
        )
        expectMethodError(
            #"@Method(name: "a/b") func f() {}"#, expandedMember: "func f() {}",
            messages: [("the function id 'a/b' must not contain '/': it is part of the platform's keys", 3, 19)]
        )
    }

    @Test("@Transient on something that is not a property")
    func transientOnFunction() {
        expectMethodError(
            "@Transient func f() {}", expandedMember: "func f() {}",
            messages: [("@Transient can only be applied to a stored 'var' property, not to a function", 3, 5)]
        )
    }

    @Test("@Method and @Transient outside the body of a @Service class")
    func outsideService() {
        assertOaasExpansion(
            """
            struct Plain {
                @Method func f() {}
                @Transient var x = 0
            }
            extension S {
                @Method func g() {}
            }
            final class Unmarked: OaasObject {
                @Method func h() {}
            }
            """,
            expandedSource: """
            struct Plain {
                func f() {}
                var x = 0
            }
            extension S {
                func g() {}
            }
            final class Unmarked: OaasObject {
                func h() {}
            }
            """,
            diagnostics: [
                DiagnosticSpec(message: "@Method only has an effect on methods declared in the body of a @Service class", line: 2, column: 5),
                DiagnosticSpec(message: "@Transient only has an effect on properties declared in the body of a @Service class", line: 3, column: 5),
                DiagnosticSpec(message: "@Method only has an effect on methods declared in the body of a @Service class", line: 6, column: 5),
                DiagnosticSpec(message: "@Method only has an effect on methods declared in the body of a @Service class", line: 9, column: 5),
            ]
        )
    }
}
