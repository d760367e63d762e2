import Foundation
import Testing

@testable import OaaS

/// Payload bytes from text, so expectations read like the wire.
func bytes(_ text: String) -> Data { Data(text.utf8) }

/// Payload bytes as text, for comparisons with readable failure output.
func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

/// Runs `body`, expecting a `PayloadError`, and returns it (nil, with a recorded issue, if none was thrown).
func payloadError<R>(_ body: () throws(PayloadError) -> R, sourceLocation: SourceLocation = #_sourceLocation) -> PayloadError? {
    do {
        let value = try body()
        Issue.record("expected a PayloadError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

struct Point: Codable, Equatable, Hashable {
    var x: Double
    var y: Double
}

struct Line: Codable, Equatable {
    var point: Point
    var label: String
}

/// Declared out of alphabetical order to show that encode-call order is kept.
struct Ordered: Codable, Equatable {
    var zeta: Int
    var alpha: String
    var mid: [Double]
}

enum Color: String, Codable, Equatable {
    case red, green
}

enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case square(side: Int)
    case empty
}

struct Everything: Codable, Equatable {
    var name: String
    var count: Int
    var ratio: Double
    var small: Int8
    var big: UInt64
    var flag: Bool
    var tags: Set<String>
    var scores: [String: [Int]]
    var byID: [Int: String]
    var maybe: Int?
    var absent: String?
    var blob: Data
    var points: [Point]
    var color: Color
    var shape: Shape
    var nested: [[Double?]]
    var single: Float
}

/// Encodes `{"k": [1, <bytes>]}` by hand, like the Python SDK's `-> dict` example.
struct MixedList: Encodable {
    var data: Data

    func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: PayloadNameKey.self)
        var list = object.nestedUnkeyedContainer(forKey: PayloadNameKey("k"))
        try list.encode(1)
        try list.encode(data)
    }
}

struct Blob: Codable, Equatable {
    var name: String
    var data: Data
}

/// A decodable type usable as a parameterized-test argument (the @Test macro needs a plain name).
typealias SendableDecodableType = any (Decodable & Sendable).Type
