import Foundation
@testable import OaaS
import OaasProto
import Testing

@Suite("Object records (oprc.ObjData)")
struct ObjectRecordTests {
    let object = ObjectIdentity(classID: "math.Calculator", partitionID: 3, objectID: "7")

    @Test("a record reads back as the identity and entries it was written with")
    func roundTrip() throws {
        let entries: ObjectEntries = ["0": Data("5".utf8), "1": Data("\"text\"".utf8), "2": Data(), "name": Data([0, 255])]
        let decoded = try ObjectRecord.decode(ObjectRecord.encode(object, entries: entries))
        #expect(decoded.identity == object)
        #expect(decoded.entries == entries)
    }

    @Test("the bytes are ObjData's: metadata in field 1 with both id forms, numeric keys in field 2, others in field 4")
    func wireForm() {
        let bytes = ObjectRecord.encode(ObjectIdentity(classID: "a.B", partitionID: 1, objectID: "7"),
                                        entries: ["1": Data("x".utf8), "k": Data("y".utf8)])
        let expected: [UInt8] = [
            0x0A, 12, 0x0A, 3, 0x61, 0x2E, 0x42, 0x10, 1, 0x18, 7, 0x22, 1, 0x37,  // ObjMeta: cls_id, partition, object_id 7 and "7"
            0x12, 7, 0x08, 1, 0x12, 3, 0x0A, 1, 0x78,  // entries[1] = ValData{data: "x"}
            0x22, 8, 0x0A, 1, 0x6B, 0x12, 3, 0x0A, 1, 0x79,  // entries["k"] = ValData{data: "y"}
        ]
        #expect(bytes == expected)
    }

    @Test("equal objects give equal bytes, whatever the dictionary's order")
    func deterministic() {
        var entries: ObjectEntries = [:]
        for index in (0..<40).reversed() { entries[String(index)] = Data(String(index).utf8) }
        let first = ObjectRecord.encode(object, entries: entries)
        let second = ObjectRecord.encode(object, entries: Dictionary(uniqueKeysWithValues: entries.shuffled()))
        #expect(first == second)
    }

    @Test("a non-numeric id is written as the string id only")
    func stringIdentity() throws {
        let named = ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "007")
        #expect(try ObjectRecord.decode(ObjectRecord.encode(named, entries: [:])).identity == named)
    }

    @Test("records of the older form (uint64 id in field 3 only) and unknown fields are read")
    func olderForm() throws {
        // ObjMeta{cls_id "c", object_id 42}, entries[0] = ValData{data "1", type 0}, an event (field 3) skipped.
        let bytes: [UInt8] = [0x0A, 5, 0x0A, 1, 0x63, 0x18, 42, 0x12, 7, 0x08, 0, 0x12, 3, 0x0A, 1, 0x31, 0x1A, 2, 0x0A, 0]
        let decoded = try ObjectRecord.decode(bytes)
        #expect(decoded.identity == ObjectIdentity(classID: "c", partitionID: 0, objectID: "42"))
        #expect(decoded.entries == ["0": Data("1".utf8)])
    }

    @Test("malformed records are errors, never crashes", arguments: [
        [0x0A, 5, 0x0A] as [UInt8],  // metadata runs past the end
        [0x12, 0x80],  // truncated length varint
        [0x0A, 2, 0x0A, 0xFF],  // cls_id longer than its message
        [0x00, 1],  // field number 0
        [0x0A, 3, 0x0A, 1, 0xC3],  // cls_id not valid UTF-8
        [0x12, 4, 0x12, 2, 0x0A, 5],  // a value's data past the entry's end
    ])
    func malformed(bytes: [UInt8]) {
        #expect(throws: ObjectRecordError.self) { try ObjectRecord.decode(bytes) }
    }

    @Test("random bytes decode or fail cleanly")
    func fuzz() {
        var random = SystemRandomNumberGenerator()
        let valid = ObjectRecord.encode(object, entries: ["0": Data("12".utf8), "1": Data("\"hello\"".utf8)])
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random)) }
            _ = try? ObjectRecord.decode(bytes)
        }
    }
}

@Suite("Store URLs")
struct StoreURLTests {
    @Test("each store's URL is read", arguments: [
        ("memory", StoreURL.memory),
        ("MEMORY", .memory),
        ("sqlite:./oaas-data/objects.db", .sqlite(path: "./oaas-data/objects.db", synchronous: .normal)),
        ("sqlite:/var/lib/x.db?synchronous=full", .sqlite(path: "/var/lib/x.db", synchronous: .full)),
        ("sqlite:///var/lib/x.db", .sqlite(path: "/var/lib/x.db", synchronous: .normal)),
        ("nats-kv://127.0.0.1:4222/oaas", .natsKV(servers: "nats://127.0.0.1:4222", bucket: "oaas", replicas: 1)),
        ("nats-kv://a:1,b:2/objs?replicas=3", .natsKV(servers: "nats://a:1,nats://b:2", bucket: "objs", replicas: 3)),
    ])
    func parses(text: String, expected: StoreURL) throws {
        #expect(try StoreURL.parse(text) == expected)
    }

    @Test("bad URLs say what is wrong", arguments: [
        ("redis://x", "unknown store \"redis\""),
        ("sqlite:", "needs a file path"),
        ("sqlite:/tmp/dir/", "names a directory"),
        ("sqlite:/x.db?synchronous=sometimes", "synchronous must be normal or full"),
        ("sqlite:/x.db?journal=off", "unknown sqlite option"),
        ("nats-kv://127.0.0.1:4222", "needs a bucket"),
        ("nats-kv://127.0.0.1:4222/", "bucket \"\" must be"),
        ("nats-kv://127.0.0.1:4222/a.b", "must be letters, digits"),
        ("nats-kv://127.0.0.1:99999/b", "the servers of nats-kv"),
        ("nats-kv://h/b?replicas=9", "replicas must be 1 to 5"),
    ])
    func refuses(text: String, fragment: String) {
        #expect {
            try StoreURL.parse(text)
        } throws: { error in
            (error as? StoreURLError)?.reason.contains(fragment) == true
        }
    }

    @Test("the setting is a ConfigurationError naming it, from the argument or the environment")
    func configuration() {
        #expect {
            try OaasConfig(storeURL: "mongo://x", environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.setting == "storeURL"
        }
        #expect {
            try OaasConfig(environment: ["OPRC_STORE_URL": "sqlite:"])
        } throws: { error in
            (error as? ConfigurationError)?.setting == "OPRC_STORE_URL"
        }
        #expect((try? OaasConfig(environment: [:]))?.storeURL == "memory")
    }

    @Test("passwords never show")
    func redaction() throws {
        let url = try StoreURL.parse("nats-kv://user:secret@127.0.0.1:4222/b")
        #expect(!url.redacted.contains("secret"))
        #expect(url.redacted.contains("127.0.0.1:4222/b"))
    }
}

@Suite("Object keys in a NATS key-value bucket")
struct ObjectKVKeyTests {
    @Test("keys escape what the bucket's alphabet lacks and read back", arguments: [
        (ObjectIdentity(classID: "math.Calculator", partitionID: 0, objectID: "7"), "o.math=2ECalculator.0.7"),
        (ObjectIdentity(classID: "a_b-c", partitionID: 4_000_000_000, objectID: "x.y/z=w"), "o.a_b-c.4000000000.x=2Ey=2Fz=3Dw"),
        (ObjectIdentity(classID: "p.Ü", partitionID: 1, objectID: "a b"), "o.p=2E=C3=9C.1.a=20b"),
    ])
    func roundTrip(object: ObjectIdentity, key: String) {
        #expect(ObjectKVKey.key(of: object) == key)
        #expect(ObjectKVKey.identity(of: key) == object)
    }

    @Test("keys this rule does not write are refused", arguments: [
        "o.a.0", "x.a.0.1", "o.a.00.1", "o.a.-1.1", "o.a.4294967296.1", "o..0.1", "o.a.0.",
        "o.a.0.=2e", "o.a.0.=41", "o.a.0.=Z1", "o.a.0.=4", "o.a.0.=FF", "o.a.0.b.c",
    ])
    func refuses(key: String) {
        #expect(ObjectKVKey.identity(of: key) == nil)
    }
}

@Suite("Object records against SwiftProtobuf's ObjData")
struct ObjectRecordProtobufTests {
    @Test("SwiftProtobuf reads what ObjectRecord writes")
    func generatedReadsOurs() throws {
        let object = ObjectIdentity(classID: "math.Calculator", partitionID: 9, objectID: "12345")
        let entries: ObjectEntries = ["0": Data("2.5".utf8), "3": Data(), "label": Data("\"x\"".utf8)]
        let message = try Oprc_ObjData(serializedBytes: ObjectRecord.encode(object, entries: entries))
        #expect(message.metadata.clsID == "math.Calculator")
        #expect(message.metadata.partitionID == 9)
        #expect(message.metadata.objectID == 12345)
        #expect(message.metadata.objectIDStr == "12345")
        #expect(message.entries.mapValues(\.data) == [0: Data("2.5".utf8), 3: Data()])
        #expect(message.entriesStr.mapValues(\.data) == ["label": Data("\"x\"".utf8)])
    }

    @Test("ObjectRecord reads what SwiftProtobuf writes, in either form")
    func oursReadsGenerated() throws {
        var message = Oprc_ObjData()
        message.metadata.clsID = "a.B"
        message.metadata.objectIDStr = "word"
        message.entries[1] = Oprc_ValData.with { $0.data = Data("7".utf8) }
        message.entriesStr["k"] = Oprc_ValData.with { $0.data = Data("8".utf8); $0.type = .crdtMap }
        let decoded = try ObjectRecord.decode(Array(try message.serializedData()))
        #expect(decoded.identity == ObjectIdentity(classID: "a.B", partitionID: 0, objectID: "word"))
        #expect(decoded.entries == ["1": Data("7".utf8), "k": Data("8".utf8)])
    }
}
