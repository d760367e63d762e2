import Testing

@Suite("Service macro expansion")
struct ServiceExpansionTests {
    @Test("the README's calculator expands to the documented conformance")
    func calculatorExample() {
        assertOaasExpansion(
            """
            @Service("Calculator", package: "math")
            final class Calculator: OaasObject {
                var result: Double = 0
                var history = [Double]()
                @Transient var scratch = 0
                let constant = 3
                static var shared = 0
                @Method func add(_ value: Double) -> Double { result += value; return result }
                @Method(name: "complex_calculation", serveWithAgent: true)
                func complexCalculation(_ data: [Double]) async -> Double { data.reduce(0, +) * result }
                @Method(stateless: true) func version() -> String { "1" }
                @Method func reset() throws { result = 0 }
                @Method func scale(by factor: Double, offset: Double) -> Double { result * factor + offset }
                func helper() {}
            }
            """,
            expandedSource: """
            final class Calculator: OaasObject {
                var result: Double = 0
                var history = [Double]()
                var scratch = 0
                let constant = 3
                static var shared = 0
                func add(_ value: Double) -> Double { result += value; return result }
                func complexCalculation(_ data: [Double]) async -> Double { data.reduce(0, +) * result }
                func version() -> String { "1" }
                func reset() throws { result = 0 }
                func scale(by factor: Double, offset: Double) -> Double { result * factor + offset }
                func helper() {}
            }

            extension Calculator: OaaS.OaasService {
                static var serviceDefinition: OaaS.ServiceDefinition<Calculator> {
                    var definition = OaaS.ServiceDefinition<Calculator>("Calculator", package: "math")
                    definition = definition.method("add") { (object: Calculator, argument: Double) -> Double in
                        object.add(argument)
                    }
                    definition = definition.method("complex_calculation", serveWithAgent: true) { (object: Calculator, argument: [Double]) async -> Double in
                        await object.complexCalculation(argument)
                    }
                    definition = definition.method("version", stateless: true) { (object: Calculator) -> String in
                        object.version()
                    }
                    definition = definition.method("reset") { (object: Calculator) throws -> Void in
                        try object.reset()
                    }
                    definition = definition.method("scale", parameters: ["by", "offset"], parameterTypes: "(Double, Double)") { (object: Calculator, arguments: OaaS.PayloadArguments) throws -> Double in
                        try object.scale(by: arguments.decode(Double.self, at: 0), offset: arguments.decode(Double.self, at: 1))
                    }
                    return definition
                }

                static var persistedFields: [String] {
                    ["result", "history"]
                }

                func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {
                    try state.write(self.result, field: 0)
                    try state.write(self.history, field: 1)
                }

                func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {
                    if let value = try state.read(Double.self, field: 0) {
                        self.result = value
                    }
                    if let value = try state.read(Swift.type(of: self.history), field: 1) {
                        self.history = value
                    }
                }
            }
            """
        )
    }

    @Test("a service without methods or fields gets empty lists and no-op state code")
    func emptyService() {
        assertOaasExpansion(
            """
            @Service("Empty")
            final class Empty: OaasObject {
            }
            """,
            expandedSource: """
            final class Empty: OaasObject {
            }

            extension Empty: OaaS.OaasService {
                static var serviceDefinition: OaaS.ServiceDefinition<Empty> {
                    OaaS.ServiceDefinition<Empty>("Empty")
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
        )
    }

    @Test("a public or open class gets public members, a package class package ones")
    func visibility() {
        for (modifier, access) in [("public", "public "), ("open", "public "), ("package", "package ")] {
            assertOaasExpansion(
                """
                @Service("Counter")
                \(modifier) final class Counter: OaasObject {
                    public var count = 0
                }
                """,
                expandedSource: """
                \(modifier) final class Counter: OaasObject {
                    public var count = 0
                }

                extension Counter: OaaS.OaasService {
                    \(access)static var serviceDefinition: OaaS.ServiceDefinition<Counter> {
                        OaaS.ServiceDefinition<Counter>("Counter")
                    }

                    \(access)static var persistedFields: [String] {
                        ["count"]
                    }

                    \(access)func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {
                        try state.write(self.count, field: 0)
                    }

                    \(access)func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {
                        if let value = try state.read(Swift.type(of: self.count), field: 0) {
                            self.count = value
                        }
                    }
                }
                """
            )
        }
    }

    @Test("persisted fields: stored instance vars only, one per name, annotated types preferred")
    func persistedFieldSelection() {
        assertOaasExpansion(
            """
            @Service("Fields")
            final class Fields: OaasObject {
                var a = 1, b: String = "x"
                var c, d: Int?
                var observed: [String: Int] = [:] {
                    didSet { print("changed") }
                }
                private(set) var `default`: Int! = 0
                var computed: Int { a + 1 }
                var withAccessors: Int {
                    get { a }
                    set { a = newValue }
                }
                lazy var later = 3
                static var shared = 0
                class var kind: String { "x" }
                let constant = 1
                @Transient var cache = [Int]()
                @OaaS.Transient var qualifiedCache = 0
                var tail: Double? = nil
            }
            """,
            expandedSource: """
            final class Fields: OaasObject {
                var a = 1, b: String = "x"
                var c, d: Int?
                var observed: [String: Int] = [:] {
                    didSet { print("changed") }
                }
                private(set) var `default`: Int! = 0
                var computed: Int { a + 1 }
                var withAccessors: Int {
                    get { a }
                    set { a = newValue }
                }
                lazy var later = 3
                static var shared = 0
                class var kind: String { "x" }
                let constant = 1
                var cache = [Int]()
                @OaaS.Transient var qualifiedCache = 0
                var tail: Double? = nil
            }

            extension Fields: OaaS.OaasService {
                static var serviceDefinition: OaaS.ServiceDefinition<Fields> {
                    OaaS.ServiceDefinition<Fields>("Fields")
                }

                static var persistedFields: [String] {
                    ["a", "b", "c", "d", "observed", "default", "tail"]
                }

                func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {
                    try state.write(self.a, field: 0)
                    try state.write(self.b, field: 1)
                    try state.write(self.c, field: 2)
                    try state.write(self.d, field: 3)
                    try state.write(self.observed, field: 4)
                    try state.write(self.`default`, field: 5)
                    try state.write(self.tail, field: 6)
                }

                func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {
                    if let value = try state.read(Swift.type(of: self.a), field: 0) {
                        self.a = value
                    }
                    if let value = try state.read(String.self, field: 1) {
                        self.b = value
                    }
                    if let value = try state.read(Int?.self, field: 2) {
                        self.c = value
                    }
                    if let value = try state.read(Int?.self, field: 3) {
                        self.d = value
                    }
                    if let value = try state.read([String: Int].self, field: 4) {
                        self.observed = value
                    }
                    if let value = try state.read(Int?.self, field: 5) {
                        self.`default` = value
                    }
                    if let value = try state.read(Double?.self, field: 6) {
                        self.tail = value
                    }
                }
            }
            """
        )
    }

    @Test("method shapes: labels, effects, Void results, options and renames")
    func methodShapes() {
        assertOaasExpansion(
            """
            @Service("Shapes", package: "demo")
            final class Shapes: OaasObject {
                @Method func labeled(value: Int) {}
                @Method func external(named internal: Int) -> () {}
                @Method func void() -> Void {}
                @Method(name: nil) func fetch() async throws -> [String: Int] { [:] }
                @Method(name: "both", stateless: true, serveWithAgent: true)
                func withOptions(_ text: String) async -> String { text }
                @Method(serveWithAgent: false) func `default`(_: Int) {}
                @Method func mixed(_ first: Int, second: String, third x: [Double]?, _: Bool) async throws {}
                @Method func owned(_ value: borrowing String) -> Int { 0 }
                @OaaS.Method func qualified() -> Bool { true }
            }
            """,
            expandedSource: """
            final class Shapes: OaasObject {
                func labeled(value: Int) {}
                func external(named internal: Int) -> () {}
                func void() -> Void {}
                func fetch() async throws -> [String: Int] { [:] }
                func withOptions(_ text: String) async -> String { text }
                func `default`(_: Int) {}
                func mixed(_ first: Int, second: String, third x: [Double]?, _: Bool) async throws {}
                func owned(_ value: borrowing String) -> Int { 0 }
                @OaaS.Method func qualified() -> Bool { true }
            }

            extension Shapes: OaaS.OaasService {
                static var serviceDefinition: OaaS.ServiceDefinition<Shapes> {
                    var definition = OaaS.ServiceDefinition<Shapes>("Shapes", package: "demo")
                    definition = definition.method("labeled") { (object: Shapes, argument: Int) -> Void in
                        object.labeled(value: argument)
                    }
                    definition = definition.method("external") { (object: Shapes, argument: Int) -> Void in
                        object.external(named: argument)
                    }
                    definition = definition.method("void") { (object: Shapes) -> Void in
                        object.void()
                    }
                    definition = definition.method("fetch") { (object: Shapes) async throws -> [String: Int] in
                        try await object.fetch()
                    }
                    definition = definition.method("both", stateless: true, serveWithAgent: true) { (object: Shapes, argument: String) async -> String in
                        await object.withOptions(argument)
                    }
                    definition = definition.method("default") { (object: Shapes, argument: Int) -> Void in
                        object.`default`(argument)
                    }
                    definition = definition.method("mixed", parameters: ["first", "second", "third", "_3"], parameterTypes: "(Int, String, [Double]?, Bool)") { (object: Shapes, arguments: OaaS.PayloadArguments) async throws -> Void in
                        try await object.mixed(arguments.decode(Int.self, at: 0), second: arguments.decode(String.self, at: 1), third: arguments.decode([Double]?.self, at: 2), arguments.decode(Bool.self, at: 3))
                    }
                    definition = definition.method("owned") { (object: Shapes, argument: String) -> Int in
                        object.owned(argument)
                    }
                    definition = definition.method("qualified") { (object: Shapes) -> Bool in
                        object.qualified()
                    }
                    return definition
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
        )
    }

    @Test("types that need parentheses before .self are wrapped")
    func complexMetatypes() {
        assertOaasExpansion(
            """
            @Service("Types")
            final class Types: OaasObject {
                var any: (any Codable & Sendable)? = nil
                @Method func pair(_ a: Swift.Int, _ b: Array<Int>, _ c: Int!) {}
            }
            """,
            expandedSource: """
            final class Types: OaasObject {
                var any: (any Codable & Sendable)? = nil
                func pair(_ a: Swift.Int, _ b: Array<Int>, _ c: Int!) {}
            }

            extension Types: OaaS.OaasService {
                static var serviceDefinition: OaaS.ServiceDefinition<Types> {
                    var definition = OaaS.ServiceDefinition<Types>("Types")
                    definition = definition.method("pair", parameters: ["a", "b", "c"], parameterTypes: "(Swift.Int, Array<Int>, Int!)") { (object: Types, arguments: OaaS.PayloadArguments) throws -> Void in
                        try object.pair(arguments.decode(Swift.Int.self, at: 0), arguments.decode(Array<Int>.self, at: 1), arguments.decode(Int?.self, at: 2))
                    }
                    return definition
                }

                static var persistedFields: [String] {
                    ["any"]
                }

                func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {
                    try state.write(self.any, field: 0)
                }

                func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {
                    if let value = try state.read(((any Codable & Sendable)?).self, field: 0) {
                        self.any = value
                    }
                }
            }
            """
        )
    }

    @Test("names are re-emitted as escaped string literals")
    func escapedNames() {
        assertOaasExpansion(
            #"""
            @Service("Quote\"d", package: #"raw\pkg"#)
            final class Quoted: OaasObject {
                @Method(name: "caf\u{E9}") func cafe() {}
            }
            """#,
            expandedSource: #"""
            final class Quoted: OaasObject {
                func cafe() {}
            }

            extension Quoted: OaaS.OaasService {
                static var serviceDefinition: OaaS.ServiceDefinition<Quoted> {
                    var definition = OaaS.ServiceDefinition<Quoted>("Quote\"d", package: "raw\\pkg")
                    definition = definition.method("café") { (object: Quoted) -> Void in
                        object.cafe()
                    }
                    return definition
                }

                static var persistedFields: [String] {
                    []
                }

                func saveState(into state: inout OaaS.StateWriter) throws(OaaS.PayloadError) {
                }

                func loadState(from state: OaaS.StateReader) throws(OaaS.PayloadError) {
                }
            }
            """#
        )
    }
}
