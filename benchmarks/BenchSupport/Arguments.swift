/// Walks a command line option by option, for the generators' hand-written parsers (no
/// argument-parser package: the benchmark tools keep their dependencies to the runtime's).
/// A plain value.
public struct Arguments {
    public struct Bad: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    private let list: [String]
    private var index = 0

    public init(_ list: [String]) {
        self.list = list
    }

    /// The next option, or `nil` at the end.
    public mutating func next() -> String? {
        guard index < list.count else { return nil }
        defer { index += 1 }
        return list[index]
    }

    /// The value that follows `option`.
    public mutating func value(of option: String) throws(Bad) -> String {
        guard let value = next() else { throw Bad("\(option) needs a value") }
        return value
    }

    /// The whole number that follows `option`, at least `minimum`.
    public mutating func number(of option: String, minimum: Int) throws(Bad) -> Int {
        let text = try value(of: option)
        guard let number = Int(text), number >= minimum else {
            throw Bad("\(option) needs a whole number ≥ \(minimum), not '\(text)'")
        }
        return number
    }

    /// A comma-separated list of whole numbers, each at least `minimum` (e.g. `--callers 1,64`).
    public mutating func numbers(of option: String, minimum: Int) throws(Bad) -> [Int] {
        let text = try value(of: option)
        var numbers: [Int] = []
        for part in text.split(separator: ",") {
            guard let number = Int(part), number >= minimum else {
                throw Bad("\(option) needs whole numbers ≥ \(minimum), separated by commas, not '\(text)'")
            }
            numbers.append(number)
        }
        if numbers.isEmpty { throw Bad("\(option) needs at least one number") }
        return numbers
    }
}
