/// The coding key the codec uses for array positions, so paths can print them as `[2]`.
struct PayloadIndexKey: CodingKey {
    let index: Int

    init(_ index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }

    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
}

/// A plain string coding key, for `super` and other keys the codec makes up itself.
struct PayloadNameKey: CodingKey {
    let stringValue: String

    init(_ name: String) { self.stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue) }

    var intValue: Int? { nil }
}

/// Renders coding paths the way people write them: `items[2].point.x`.
enum PayloadCodingPath {
    static func render(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key as? PayloadIndexKey {
                text += "[\(index.index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text
    }

    /// ` at items[2]`, or nothing at the top level.
    static func suffix(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "" : " at " + render(path)
    }

    /// The path of a child value; built only when needed because most decodes never fail.
    @inline(__always)
    static func child(_ path: [any CodingKey], _ key: (any CodingKey)?) -> [any CodingKey] {
        guard let key else { return path }
        return path + [key]
    }
}
