/// `JSONValue` is `Codable` so a method can take or return free-form JSON (what a Python method
/// without annotations deals in). With the payload codec the value passes through untouched,
/// key order included; other coders see it through ordinary containers.
extension JSONValue: Codable {
    /// Encodes the value through standard containers. Any thread.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .integer(let integer):
            var container = encoder.singleValueContainer()
            try container.encode(integer)
        case .number(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .string(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let object):
            var container = encoder.container(keyedBy: PayloadNameKey.self)
            for (key, value) in object { try container.encode(value, forKey: PayloadNameKey(key)) }
        }
    }

    /// Decodes any JSON value; with a foreign decoder, object key order is whatever it reports. Any thread.
    public init(from decoder: any Decoder) throws {
        if let own = decoder as? PayloadDecoder {
            self = own.value
            return
        }
        if let keyed = try? decoder.container(keyedBy: PayloadNameKey.self) {
            var object = JSONObject()
            for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(JSONValue.self, forKey: key) }
            self = .object(object)
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !unkeyed.isAtEnd { elements.append(try unkeyed.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}
