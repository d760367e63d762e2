import Foundation
import OaasSQLite
import Testing

@Suite("SQLite object file: objects, versions, listing")
struct SQLiteObjectFileTests {
    @Test("a new file in missing directories is created; its objects survive close and reopen")
    func createAndReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/data/nested/oaas.db"
            let file = try SQLiteObjectFile.open(path: path)
            #expect(file.path == path)
            #expect(file.synchronous == .normal)
            let written = try file.write([
                insert(objectKey("a"), [1, 2, 3]),
                insert(objectKey("b", classID: "Account", partition: 7), Array("hello".utf8), version: 5),
            ])
            #expect(written == [.written, .written])
            file.close()

            let reopened = try SQLiteObjectFile.open(path: path, synchronous: .full)
            defer { reopened.close() }
            #expect(reopened.synchronous == .full)
            #expect(try reopened.read(objectKey("a")) == SQLiteObjectRow(version: 1, record: [1, 2, 3]))
            #expect(
                try reopened.read(objectKey("b", classID: "Account", partition: 7))
                    == SQLiteObjectRow(version: 5, record: Array("hello".utf8)))
            #expect(try reopened.read(objectKey("b")) == nil, "another partition and class is another key")
        }
    }

    @Test("the file is in WAL mode: header bytes 18-19 say 2 and a -wal file sits next to it")
    func walIsOn() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            let file = try SQLiteObjectFile.open(path: path)
            _ = try file.write([insert(objectKey("a"), [1])])
            // SQLite's file format: read and write versions 2 mean WAL.
            #expect(try fileBytes(path, at: 18, count: 2) == [2, 2])
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            file.close()
            // The schema version, user_version (big-endian at offset 60), reaches the main
            // file at the checkpoint of the last close; until then it sits in the WAL.
            #expect(SQLiteObjectFile.schemaVersion == 1)
            #expect(try fileBytes(path, at: 60, count: 4) == [0, 0, 0, 1])
            #expect(try fileBytes(path, at: 18, count: 2) == [2, 2], "WAL mode is persistent")
        }
    }

    @Test("compare-and-set: insert expects 0, a stale write reports the actual version, a tombstone keeps its version")
    func versionsAndTombstones() throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db")
            defer { file.close() }
            let key = objectKey("k")
            #expect(try file.write([insert(key, [1])]) == [.written])
            #expect(try file.write([insert(key, [9])]) == [.conflict(actual: 1)], "insert over an existing row")
            let stale = SQLiteObjectWrite(key: key, expectedVersion: 7, newVersion: 8, record: [9])
            #expect(try file.write([stale]) == [.conflict(actual: 1)])
            let missing = SQLiteObjectWrite(key: objectKey("none"), expectedVersion: 3, newVersion: 4, record: [9])
            #expect(try file.write([missing]) == [.conflict(actual: 0)])
            #expect(try file.read(objectKey("none")) == nil)

            let update = SQLiteObjectWrite(key: key, expectedVersion: 1, newVersion: 2, record: [2])
            #expect(try file.write([update]) == [.written])
            let delete = SQLiteObjectWrite(key: key, expectedVersion: 2, newVersion: 3, record: nil)
            #expect(try file.write([delete]) == [.written])
            #expect(try file.read(key) == SQLiteObjectRow(version: 3, record: nil))

            // A re-create must name the tombstone's version: whoever saw the object alive
            // (version 2) or never saw it (0) is stale.
            #expect(try file.write([insert(key, [4], version: 4)]) == [.conflict(actual: 3)])
            let recreate = SQLiteObjectWrite(key: key, expectedVersion: 3, newVersion: 4, record: [4])
            #expect(try file.write([recreate]) == [.written])
            #expect(try file.read(key) == SQLiteObjectRow(version: 4, record: [4]))
        }
    }

    @Test("a batch is applied in order: later writes of one key see the earlier ones")
    func sameKeyInOneBatch() throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db")
            defer { file.close() }
            let key = objectKey("k")
            let outcomes = try file.write([
                insert(key, [1]),
                SQLiteObjectWrite(key: key, expectedVersion: 1, newVersion: 2, record: [2]),
                SQLiteObjectWrite(key: key, expectedVersion: 1, newVersion: 3, record: [3]),
                SQLiteObjectWrite(key: key, expectedVersion: 2, newVersion: 3, record: nil),
                insert(objectKey("other"), [7]),
            ])
            #expect(outcomes == [.written, .written, .conflict(actual: 2), .written, .written])
            #expect(try file.read(key) == SQLiteObjectRow(version: 3, record: nil))
            #expect(try file.read(objectKey("other")) == SQLiteObjectRow(version: 1, record: [7]))
            #expect(try file.write([]) == [])
            #expect(file.statistics.transactionsCommitted == 1, "the empty batch opens no transaction")
            #expect(file.statistics.rowsWritten == 4)
            #expect(file.statistics.conflicts == 1)
            #expect(file.statistics.failedTransactions == 0)
        }
    }

    @Test("keys and classIDs list live objects only, sorted; tombstones and empty classes are left out")
    func listing() throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db")
            defer { file.close() }
            _ = try file.write([
                insert(objectKey("z", classID: "B"), [1]),
                insert(objectKey("a", classID: "B", partition: 2), [1]),
                insert(objectKey("m", classID: "B"), [1]),
                insert(objectKey("x", classID: "A"), [1]),
                insert(objectKey("gone", classID: "B"), [1]),
                insert(objectKey("only", classID: "C"), [1]),
            ])
            _ = try file.write([
                SQLiteObjectWrite(key: objectKey("gone", classID: "B"), expectedVersion: 1, newVersion: 2, record: nil),
                SQLiteObjectWrite(key: objectKey("only", classID: "C"), expectedVersion: 1, newVersion: 2, record: nil),
            ])
            #expect(try file.classIDs() == ["A", "B"])
            #expect(
                try file.keys(classID: "B") == [
                    objectKey("m", classID: "B"), objectKey("z", classID: "B"),
                    objectKey("a", classID: "B", partition: 2),
                ])
            #expect(try file.keys(classID: nil).map(\.objectID) == ["x", "m", "z", "a"])
            #expect(try file.keys(classID: "C") == [])
            #expect(try file.keys(classID: "nobody") == [])
        }
    }

    @Test("records: 4 MiB round-trips and shrinks, an empty record is not a tombstone, extreme versions and odd ids survive")
    func recordsAndValues() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            let file = try SQLiteObjectFile.open(path: path)
            let big = recordBytes(4 << 20, seed: 1)
            let smaller = recordBytes(3 << 20, seed: 2)
            let oddKey = SQLiteObjectKey(classID: "clé\u{0}x", partitionID: .max, objectID: "")
            let truncatedKey = SQLiteObjectKey(classID: "clé", partitionID: .max, objectID: "")
            #expect(
                try file.write([
                    insert(objectKey("big"), big),
                    insert(objectKey("empty"), []),
                    SQLiteObjectWrite(key: oddKey, expectedVersion: 0, newVersion: .max, record: [0]),
                ]) == [.written, .written, .written])
            #expect(try file.read(objectKey("big")) == SQLiteObjectRow(version: 1, record: big))
            #expect(try file.read(objectKey("empty")) == SQLiteObjectRow(version: 1, record: []))
            #expect(try file.read(oddKey) == SQLiteObjectRow(version: .max, record: [0]))
            #expect(try file.read(truncatedKey) == nil, "a NUL inside an id is part of it")
            #expect(try file.keys(classID: "clé\u{0}x") == [oddKey])
            let shrink = SQLiteObjectWrite(key: objectKey("big"), expectedVersion: 1, newVersion: 2, record: smaller)
            #expect(try file.write([shrink]) == [.written])
            file.close()

            let reopened = try SQLiteObjectFile.open(path: path)
            defer { reopened.close() }
            #expect(try reopened.read(objectKey("big")) == SQLiteObjectRow(version: 2, record: smaller))
            let stale = SQLiteObjectWrite(key: oddKey, expectedVersion: 0, newVersion: 1, record: [1])
            #expect(try reopened.write([stale]) == [.conflict(actual: .max)])
        }
    }

    @Test("close is idempotent; calls after it throw a clear error; readers: 0 reads through the writer")
    func closeAndNoReaders() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            let file = try SQLiteObjectFile.open(path: path, readers: 0)
            _ = try file.write([insert(objectKey("a"), [1])])
            #expect(try file.read(objectKey("a")) == SQLiteObjectRow(version: 1, record: [1]))
            #expect(try file.keys(classID: nil) == [objectKey("a")])
            file.close()
            file.close()
            let error = storeError { try file.read(objectKey("a")) }
            #expect(error?.kind == .other)
            #expect(error?.description == "sqlite \(path): read: the object file is closed")
            #expect(storeError { try file.write([insert(objectKey("b"), [1])]) }?.kind == .other)
            #expect(storeError { try file.classIDs() }?.kind == .other)
            // The last connection to close folds the WAL into the file and removes it.
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }
}
