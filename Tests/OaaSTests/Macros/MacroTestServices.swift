import Foundation
import OaaS

/// Errors thrown by the macro test services.
enum MacroServiceError: Error, Equatable {
    case nothingToReset
    case unknownItem(String)
}

/// The README's calculator: every shape of method and of field the macros handle.
@Service("Calculator", package: "math")
final class MacroCalculator: OaasObject {
    var result: Double = 0  // field 0
    var history = [Double]()  // field 1, type from the initializer
    @Transient var scratch = 0
    let constant = 3
    nonisolated(unsafe) static var shared = 0
    var doubled: Double { result * 2 }
    lazy var label = "calculator"
    var observed = 0 {  // field 2: observers keep it stored
        didSet { scratch += 1 }
    }

    @Method func add(_ value: Double) -> Double {
        result += value
        history.append(value)
        return result
    }

    @Method(name: "complex_calculation", serveWithAgent: true)
    func complexCalculation(_ data: [Double]) async -> Double {
        await Task.yield()
        return data.reduce(0, +) * result
    }

    @Method(stateless: true) func version() -> String { "1" }

    @Method func reset() throws {
        guard !history.isEmpty else { throw MacroServiceError.nothingToReset }
        result = 0
        history = []
    }

    @Method func scale(by factor: Double, offset: Double) -> Double {
        result = result * factor + offset
        return result
    }

    func helper() {}
}

/// A stored item of ``MacroInventory``.
struct MacroItem: Codable, Equatable, Sendable {
    var name: String
    var quantity: Int
}

/// A public service: structured arguments and results, unlabeled parameters, `Void` results,
/// optional values and several names in one `var`.
@Service("Inventory", package: "shop")
public final class MacroInventory: OaasObject {
    var items: [MacroItem] = []  // field 0
    var puts = 0, restocks: Int = 0  // fields 1 and 2
    var note: String?  // field 3
    @Transient var calls = 0

    @Method func put(_ item: MacroItem) {
        items.append(item)
        puts += 1
    }

    @Method func find(named name: String) -> MacroItem? {
        items.first { $0.name == name }
    }

    @Method func restock(_ name: String, _ amount: Int) async throws {
        await Task.yield()
        guard let index = items.firstIndex(where: { $0.name == name }) else {
            throw MacroServiceError.unknownItem(name)
        }
        items[index].quantity += amount
        restocks += 1
    }

    @Method func count() -> Int { items.count }

    @Method func clear() -> () { items = [] }

    @Method(name: "set_note") func setNote(_ text: String?) async -> Void { note = text }

    @Method(stateless: true, serveWithAgent: true) func ping() async throws -> String { "pong" }
}

/// The same tally service twice: once with the macros, once written by hand. Their definitions
/// and behavior must agree.
@Service("Tally", package: "compare")
final class MacroTally: OaasObject {
    var total = 0
    var names: [String] = []

    @Method func add(_ amount: Int) -> Int {
        total += amount
        return total
    }

    @Method(name: "register", serveWithAgent: true) func register(name: String) async throws -> [String] {
        if name.isEmpty { throw MacroServiceError.unknownItem(name) }
        names.append(name)
        return names
    }

    @Method(stateless: true) func unit() -> String { "items" }

    @Method func combine(_ first: Int, with second: Int) -> Int {
        total = first * second
        return total
    }

    @Method func clear() {
        total = 0
        names = []
    }
}

/// ``MacroTally`` without macros.
final class HandTally: OaasObject, OaasService {
    var total = 0
    var names: [String] = []

    func add(_ amount: Int) -> Int {
        total += amount
        return total
    }

    func register(name: String) async throws -> [String] {
        if name.isEmpty { throw MacroServiceError.unknownItem(name) }
        names.append(name)
        return names
    }

    func unit() -> String { "items" }

    func combine(_ first: Int, with second: Int) -> Int {
        total = first * second
        return total
    }

    func clear() {
        total = 0
        names = []
    }

    static var serviceDefinition: ServiceDefinition<HandTally> {
        ServiceDefinition<HandTally>("Tally", package: "compare")
            .method("add") { (object: HandTally, argument: Int) -> Int in object.add(argument) }
            .method("register", serveWithAgent: true) { (object: HandTally, argument: String) async throws -> [String] in
                try await object.register(name: argument)
            }
            .method("unit", stateless: true) { (object: HandTally) -> String in object.unit() }
            .method("combine", parameters: ["first", "with"], parameterTypes: "(Int, Int)") {
                (object: HandTally, arguments: PayloadArguments) throws -> Int in
                try object.combine(arguments.decode(Int.self, at: 0), with: arguments.decode(Int.self, at: 1))
            }
            .method("clear") { (object: HandTally) -> Void in object.clear() }
    }

    static var persistedFields: [String] { ["total", "names"] }

    func saveState(into state: inout StateWriter) throws(PayloadError) {
        try state.write(total, field: 0)
        try state.write(names, field: 1)
    }

    func loadState(from state: StateReader) throws(PayloadError) {
        if let value = try state.read(Int.self, field: 0) { total = value }
        if let value = try state.read([String].self, field: 1) { names = value }
    }
}

/// A class that states the conformance itself: the macro adds only the members.
@Service("Declared")
final class MacroDeclared: OaasObject, OaasService {
    var value = 1.5

    @Method func get() -> Double { value }
}

/// A service with many methods in one definition chain, to keep its type-checking honest.
@Service("Wide")
final class MacroWide: OaasObject {
    var n = 0

    @Method func m1(_ x: Int) -> Int { x + 1 }
    @Method func m2(_ x: Int) async -> Int { x + 2 }
    @Method func m3(_ x: String) throws -> String { x }
    @Method func m4() -> Int { 4 }
    @Method func m5() async throws {}
    @Method func m6(_ x: [Int]) -> [Int] { x }
    @Method func m7(a: Int, b: Int) -> Int { a + b }
    @Method func m8(a: Int, b: Int) async throws {}
    @Method func m9(_ x: Double?) -> Double? { x }
    @Method func m10() -> Bool { true }
    @Method func m11(_ x: Bool) {}
    @Method func m12(_ x: [String: Int]) -> [String: Int] { x }
}

/// A service nested in another type, with private members and a field called `type` (which
/// must not hide `type(of:)` in the generated code).
enum MacroNamespace {
    @Service("Nested", package: "inner")
    final class Nested: OaasObject {
        private var secret = 41
        var type = "plain"

        @Method private func reveal() -> Int { secret + 1 }
        @Method func retype(_ payload: Payload) -> Payload {
            type = payload.kind
            return Payload(kind: type.uppercased())
        }

        struct Payload: Codable, Equatable {
            var kind: String
        }
    }
}
