import Foundation
@testable import OaaS
import OaasProto
import SwiftProtobuf
import Testing
import OaasTesting

/// The hand-written wire codec must read and write exactly what SwiftProtobuf does.
@Suite("OprcWire against SwiftProtobuf")
struct OprcWireTests {
    private func ours(_ bytes: [UInt8]) -> Invocation? {
        try? bytes.withUnsafeBytes { try OprcWire.objectInvocation($0) }
    }

    private func theirs(_ bytes: [UInt8]) -> Invocation? {
        (try? Oprc_ObjectInvocationRequest(serializedBytes: bytes)).map(Invocation.init)
    }

    private func same(_ lhs: Invocation?, _ rhs: Invocation?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): return true
        case (let a?, let b?):
            return a.classID == b.classID && a.functionID == b.functionID && a.partitionID == b.partitionID
                && a.objectID == b.objectID && a.payload == b.payload
        default: return false
        }
    }

    private func describe(_ invocation: Invocation?) -> String {
        guard let invocation else { return "rejects" }
        return "(\(invocation.partitionID), \(invocation.objectID ?? "nil"), \(invocation.classID), \(invocation.functionID), \(invocation.payload.count))"
    }

    private func randomRequest(_ random: inout some RandomNumberGenerator) -> Oprc_ObjectInvocationRequest {
        var request = Oprc_ObjectInvocationRequest()
        let words = ["", "a", "math.Calculator", "add", "ü-😀", String(repeating: "x", count: 200)]
        if Bool.random(using: &random) { request.clsID = words.randomElement(using: &random)! }
        if Bool.random(using: &random) { request.fnID = words.randomElement(using: &random)! }
        if Bool.random(using: &random) { request.partitionID = UInt32.random(in: 0...UInt32.max, using: &random) }
        if Bool.random(using: &random) { request.objectID = UInt64.random(in: 0...UInt64.max, using: &random) }
        if Bool.random(using: &random) { request.objectIDStr = words.randomElement(using: &random)! }
        if Bool.random(using: &random) {
            request.payload = Data((0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        if Bool.random(using: &random) { request.options = ["k": "v", "other": "ü"] }
        return request
    }

    @Test("random requests decode to the same invocation")
    func randomRequests() throws {
        var random = SeededRandom(seed: 0x0A45)
        for _ in 0..<2_000 {
            let bytes: [UInt8] = try randomRequest(&random).serializedBytes()
            let decoded = try #require(ours(bytes))
            #expect(same(decoded, theirs(bytes)))
        }
    }

    @Test("every truncation and every single-byte change: both accept or both reject, with the same result")
    func mutations() throws {
        var request = Oprc_ObjectInvocationRequest()
        request.clsID = "math.Calculator"
        request.fnID = "add"
        request.partitionID = 300
        request.objectIDStr = "obj-7"
        request.objectID = 9
        request.payload = Data("12.5".utf8)
        request.options = ["trace": "on"]
        let bytes: [UInt8] = try request.serializedBytes()
        var disagreements: [String] = []
        for length in 0...bytes.count where !same(ours(Array(bytes[0..<length])), theirs(Array(bytes[0..<length]))) {
            disagreements.append("prefix \(length)")
        }
        for index in bytes.indices {
            for value in [0x00, 0x02, 0x07, 0x0A, 0x12, 0x7F, 0x80, 0xC3, 0xFF] as [UInt8] {
                var mutated = bytes
                mutated[index] = value
                if !same(ours(mutated), theirs(mutated)) {
                    disagreements.append("byte \(index) = \(value): ours \(describe(ours(mutated))), SwiftProtobuf \(describe(theirs(mutated)))")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20))")
    }

    @Test("unknown fields of every wire type are skipped; later occurrences win")
    func unknownAndRepeatedFields() throws {
        var bytes: [UInt8] = try {
            var request = Oprc_ObjectInvocationRequest()
            request.clsID = "first"
            return try request.serializedBytes()
        }()
        bytes += [0x58, 0x05]                                  // field 11, varint
        bytes += [0x61] + [UInt8](repeating: 1, count: 8)      // field 12, fixed64
        bytes += [0x6A, 0x02, 0x41, 0x42]                      // field 13, length-delimited
        bytes += [0x75, 1, 2, 3, 4]                            // field 14, fixed32
        bytes += [0x1A, 0x06] + Array("second".utf8)           // cls_id again
        let decoded = try #require(ours(bytes))
        #expect(decoded.classID == "second")
        #expect(same(decoded, theirs(bytes)))
    }

    @Test("invalid UTF-8, stray group ends and overlong varints are rejected; groups are skipped")
    func edgeCases() {
        for bytes: [UInt8] in [[0x1A, 0x02, 0xC3, 0x28], [0x5C], [0x5B, 0x64], [0x5B],
                               [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x00, 0x00]] {
            #expect(ours(bytes) == nil, "\(bytes)")
            #expect(theirs(bytes) == nil, "\(bytes)")
        }
        let group: [UInt8] = [0x5B, 0x08, 0x01, 0x5C, 0x1A, 0x01, 0x41]  // group 11 { 1: 1 }, cls_id "A"
        #expect(ours(group)?.classID == "A")
        #expect(same(ours(group), theirs(group)))
    }

    @Test("responses read back through SwiftProtobuf")
    func responses() throws {
        for (status, payload) in [(Oprc_ResponseStatus.okay, Data()), (.okay, Data("7.5".utf8)),
                                  (.appError, Data(repeating: 0xAB, count: 300)), (.systemError, Data("x".utf8))] {
            let decoded = try OprcWire.withResponse(status: status, payload: payload) { bytes in
                try Oprc_InvocationResponse(serializedBytes: Array(bytes))
            }
            #expect(decoded.status == status)
            #expect(decoded.hasPayload)
            #expect(decoded.payload == payload)
            #expect(decoded.headers.isEmpty && decoded.invocationID.isEmpty)
        }
    }
}
