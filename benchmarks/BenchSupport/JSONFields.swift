/// One JSON object, built field by field in order, for the generators' `--json` reports (read
/// by the harness's Python). Without Foundation, so a generator links nothing it does not use.
/// A plain value.
public struct JSONFields {
    private var parts: [String] = []

    public init() {}

    public mutating func add(_ name: String, _ value: String) {
        parts.append("\(Self.quoted(name)): \(Self.quoted(value))")
    }

    public mutating func add(_ name: String, _ value: Int) {
        parts.append("\(Self.quoted(name)): \(value)")
    }

    public mutating func add(_ name: String, _ value: Bool) {
        parts.append("\(Self.quoted(name)): \(value)")
    }

    /// A fixed-point number with `places` decimals (JSON has no NaN or infinity: those become 0).
    public mutating func add(_ name: String, _ value: Double, places: Int) {
        parts.append("\(Self.quoted(name)): \(Self.fixed(value, places: places))")
    }

    /// `json` is already JSON (an object, an array, `null`).
    public mutating func add(_ name: String, json: String) {
        parts.append("\(Self.quoted(name)): \(json)")
    }

    /// A `{"reason": count}` object, keys sorted so that reports compare line by line.
    public mutating func add(_ name: String, counts: [String: Int]) {
        var inner = JSONFields()
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) { inner.add(key, count) }
        add(name, json: inner.text)
    }

    public var text: String { "{" + parts.joined(separator: ", ") + "}" }

    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `value` with exactly `places` decimals, without Foundation's `String(format:)`.
    public static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard places > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole).\(String(repeating: "0", count: places - digits.count))\(digits)"
    }
}
