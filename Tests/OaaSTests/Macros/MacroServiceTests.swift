import Foundation
@testable import OaaS
import Testing

/// Calls `name` on `object` the way the runtime does: payload bytes in, payload bytes out.
private func call<Service: OaasService>(
    _ object: Service, _ name: String, _ payload: String = "", sourceLocation: SourceLocation = #_sourceLocation
) async throws -> String {
    let method = try #require(Service.serviceDefinition.method(named: name), sourceLocation: sourceLocation)
    let bytes = Data(payload.utf8)
    let result: Data
    switch method.body {
    case .sync(let body): result = try body(object, bytes)
    case .async(let body): result = try await body(object, bytes)
    }
    return String(decoding: result, as: UTF8.self)
}

/// Saves `object`'s persisted fields on top of `entries`.
private func save<Service: OaasService>(_ object: Service, over entries: ObjectEntries = [:]) throws -> ObjectEntries {
    var writer = StateWriter(entries: entries)
    try object.saveState(into: &writer)
    return writer.entries
}

/// A fresh instance loaded from `entries`.
private func load<Service: OaasService>(_ type: Service.Type, from entries: ObjectEntries) throws -> Service {
    let object = Service()
    try object.loadState(from: StateReader(entries: entries))
    return object
}

private func json(_ text: String) -> Data { Data(text.utf8) }

@Suite("Macros: generated services")
struct MacroServiceTests {
    @Test("the calculator's definition lists its methods in order with their options")
    func calculatorDefinition() {
        let definition = MacroCalculator.serviceDefinition
        #expect(definition.classID == "math.Calculator")
        #expect(definition.name == "Calculator")
        #expect(definition.package == "math")
        #expect(definition.methods.map(\.name) == ["add", "complex_calculation", "version", "reset", "scale"])
        #expect(definition.methods.map(\.options) == [
            MethodOptions(),
            MethodOptions(serveWithAgent: true),
            MethodOptions(stateless: true),
            MethodOptions(),
            MethodOptions(),
        ])
        #expect(definition.methods.map(\.parameterType) == ["Double", "Array<Double>", nil, nil, "(Double, Double)"])
        #expect(definition.methods.map(\.isAsync) == [false, true, false, false, false])
        #expect(definition.method(named: "helper") == nil)
        #expect(definition.method(named: "complexCalculation") == nil)
    }

    @Test("persisted fields are the stored instance vars, in declaration order")
    func calculatorPersistedFields() {
        #expect(MacroCalculator.persistedFields == ["result", "history", "observed"])
        #expect(MacroInventory.persistedFields == ["items", "puts", "restocks", "note"])
        #expect(MacroTally.persistedFields == ["total", "names"])
        #expect(MacroWide.persistedFields == ["n"])
    }

    @Test("calling the calculator's methods through their payload bodies")
    func calculatorCalls() async throws {
        let calculator = MacroCalculator()
        #expect(try await call(calculator, "add", "5") == "5.0")
        #expect(try await call(calculator, "add", "2.5") == "7.5")
        #expect(calculator.history == [5, 2.5])
        #expect(try await call(calculator, "complex_calculation", "[1, 2]") == "22.5")
        #expect(try await call(calculator, "version") == "1")
        #expect(try await call(calculator, "scale", #"{"by": 2, "offset": 1}"#) == "16.0")
        #expect(try await call(calculator, "scale", "[0.5, 0]") == "8.0")
        #expect(try await call(calculator, "reset") == "")
        #expect(calculator.result == 0)
        await #expect(throws: MacroServiceError.nothingToReset) {
            _ = try await call(calculator, "reset")
        }
        await #expect(throws: PayloadError.self) {
            _ = try await call(calculator, "add", #""five""#)
        }
        await #expect(throws: PayloadError.self) {
            _ = try await call(calculator, "scale", #"{"factor": 2, "offset": 1}"#)
        }
    }

    @Test("save then load moves the persisted fields into a fresh instance")
    func calculatorRoundTrip() throws {
        let calculator = MacroCalculator()
        calculator.result = 7.5
        calculator.history = [5, 2.5]
        calculator.observed = 4
        calculator.scratch = 99

        let entries = try save(calculator, over: ["9": json("\"kept\"")])
        #expect(entries.keys.sorted() == ["0", "1", "2", "9"])
        #expect(entries["0"] == json("7.5"))
        #expect(entries["1"] == (try PayloadCodec.encodeValue([5.0, 2.5])))
        #expect(entries["2"] == json("4"))
        #expect(entries["9"] == json("\"kept\""))

        let loaded = try load(MacroCalculator.self, from: entries)
        #expect(loaded.result == 7.5)
        #expect(loaded.history == [5, 2.5])
        #expect(loaded.observed == 4)
        #expect(loaded.scratch == 1)  // transient: only the observer's bump from loading `observed`
    }

    @Test("loading keeps the defaults of fields without entries and rejects mistyped ones")
    func calculatorPartialAndBadState() throws {
        let partial = try load(MacroCalculator.self, from: ["1": json("[1.0]")])
        #expect(partial.result == 0)
        #expect(partial.history == [1])

        #expect(throws: PayloadError.self) {
            _ = try load(MacroCalculator.self, from: ["0": json("\"not a number\"")])
        }
    }

    @Test("structured arguments, unlabeled parameters, Void and optional results")
    func inventory() async throws {
        let definition = MacroInventory.serviceDefinition
        #expect(definition.classID == "shop.Inventory")
        #expect(definition.methods.map(\.name) == ["put", "find", "restock", "count", "clear", "set_note", "ping"])
        #expect(definition.methods.map(\.parameterType) == [
            "MacroItem", "String", "(String, Int)", nil, nil, "Optional<String>", nil,
        ])
        #expect(definition.methods.map(\.isAsync) == [false, false, true, false, false, true, true])
        #expect(definition.method(named: "ping")?.options == MethodOptions(stateless: true, serveWithAgent: true))

        let inventory = MacroInventory()
        #expect(try await call(inventory, "put", #"{"name": "apple", "quantity": 2}"#) == "")
        #expect(try await call(inventory, "restock", #"{"name": "apple", "amount": 3}"#) == "")
        #expect(try await call(inventory, "restock", #"["apple", 1]"#) == "")
        #expect(inventory.items == [MacroItem(name: "apple", quantity: 6)])
        await #expect(throws: MacroServiceError.unknownItem("pear")) {
            _ = try await call(inventory, "restock", #"["pear", 1]"#)
        }
        let found = try await call(inventory, "find", #""apple""#)
        #expect(try JSONDecoder().decode(MacroItem.self, from: json(found)) == MacroItem(name: "apple", quantity: 6))
        #expect(try await call(inventory, "find", #""pear""#) == "")
        #expect(try await call(inventory, "count") == "1")
        #expect(try await call(inventory, "set_note", #""fresh""#) == "")
        #expect(inventory.note == "fresh")
        #expect(try await call(inventory, "ping") == "pong")

        let entries = try save(inventory)
        #expect(entries["1"] == json("1"))
        #expect(entries["2"] == json("2"))
        #expect(entries["3"] == json("\"fresh\""))
        let loaded = try load(MacroInventory.self, from: entries)
        #expect(loaded.items == inventory.items)
        #expect(loaded.puts == 1)
        #expect(loaded.restocks == 2)
        #expect(loaded.note == "fresh")

        #expect(try await call(inventory, "clear") == "")
        #expect(inventory.items.isEmpty)
    }

    @Test("a class that declares the conformance itself gets the generated members")
    func declaredConformance() async throws {
        #expect(MacroDeclared.serviceDefinition.classID == "default.Declared")
        #expect(MacroDeclared.persistedFields == ["value"])
        #expect(try await call(MacroDeclared(), "get") == "1.5")
    }

    @Test("a nested service with private members and a field named 'type'")
    func nestedService() async throws {
        typealias Nested = MacroNamespace.Nested
        #expect(Nested.serviceDefinition.classID == "inner.Nested")
        #expect(Nested.persistedFields == ["secret", "type"])
        let nested = Nested()
        #expect(try await call(nested, "reveal") == "42")
        let reply = try await call(nested, "retype", #"{"kind": "fancy"}"#)
        #expect(try JSONDecoder().decode(Nested.Payload.self, from: json(reply)) == Nested.Payload(kind: "FANCY"))
        let entries = try save(nested)
        #expect(entries == ["0": json("41"), "1": json("\"fancy\"")])
        #expect(try load(Nested.self, from: entries).type == "fancy")
    }

    @Test("a wide service registers every method with the right shape")
    func wideService() async throws {
        let definition = MacroWide.serviceDefinition
        #expect(definition.methods.map(\.name) == (1...12).map { "m\($0)" })
        #expect(definition.methods.map(\.isAsync) == [
            false, true, false, false, true, false, false, true, false, false, false, false,
        ])
        let wide = MacroWide()
        #expect(try await call(wide, "m2", "40") == "42")
        #expect(try await call(wide, "m7", #"{"a": 1, "b": 2}"#) == "3")
        #expect(try await call(wide, "m9", "null") == "")
    }
}

@Suite("Macros: generated and hand-written conformances agree")
struct MacroEquivalenceTests {
    @Test("the definitions match")
    func definitions() {
        let generated = MacroTally.serviceDefinition
        let handWritten = HandTally.serviceDefinition
        #expect(generated.classID == handWritten.classID)
        #expect(generated.methods.map(\.name) == handWritten.methods.map(\.name))
        #expect(generated.methods.map(\.options) == handWritten.methods.map(\.options))
        #expect(generated.methods.map(\.parameterType) == handWritten.methods.map(\.parameterType))
        #expect(generated.methods.map(\.isAsync) == handWritten.methods.map(\.isAsync))
        #expect(MacroTally.persistedFields == HandTally.persistedFields)
    }

    @Test("the same calls give the same bytes, errors and state")
    func behavior() async throws {
        let generated = MacroTally()
        let handWritten = HandTally()
        let calls: [(String, String)] = [
            ("add", "3"), ("add", "4"), ("register", #""ada""#), ("register", #""bob""#), ("unit", ""),
            ("combine", "[6, 7]"), ("combine", #"{"first": 2, "with": 5}"#), ("add", "-1"),
        ]
        for (name, payload) in calls {
            let expected = try await call(handWritten, name, payload)
            #expect(try await call(generated, name, payload) == expected, "\(name)(\(payload))")
        }
        for (name, payload) in [("register", #""""#), ("add", "[1]"), ("combine", "[1]")] {
            var handError: (any Error)?
            var generatedError: (any Error)?
            do { _ = try await call(handWritten, name, payload) } catch { handError = error }
            do { _ = try await call(generated, name, payload) } catch { generatedError = error }
            #expect(handError != nil)
            #expect(String(describing: generatedError) == String(describing: handError), "\(name)(\(payload))")
        }

        let generatedEntries = try save(generated)
        let handEntries = try save(handWritten)
        #expect(generatedEntries == handEntries)
        #expect(generatedEntries["0"] == json("9"))

        let fromHand = try load(MacroTally.self, from: handEntries)
        #expect(fromHand.total == 9)
        #expect(fromHand.names == ["ada", "bob"])
        let fromGenerated = try load(HandTally.self, from: generatedEntries)
        #expect(fromGenerated.total == 9)
        #expect(fromGenerated.names == ["ada", "bob"])

        #expect(try await call(generated, "clear") == "")
        #expect(try await call(handWritten, "clear") == "")
        #expect(try save(generated) == save(handWritten))
    }
}
