import Foundation
import OaasSQLite
import Testing

/// A fresh directory under the system's temporary directory, removed after `body`.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("oaas-sqlite-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

func objectKey(_ objectID: String, classID: String = "Counter", partition: UInt32 = 0) -> SQLiteObjectKey {
    SQLiteObjectKey(classID: classID, partitionID: partition, objectID: objectID)
}

/// Deterministic bytes that differ per (seed, length), so a mixed-up record shows.
func recordBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

func insert(_ key: SQLiteObjectKey, _ record: [UInt8], version: UInt64 = 1) -> SQLiteObjectWrite {
    SQLiteObjectWrite(key: key, expectedVersion: 0, newVersion: version, record: record)
}

/// The error `body` throws, or nil (recorded as a test failure) when it does not throw.
func storeError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> SQLiteStoreError? {
    guard let error = caughtStoreError(sourceLocation: sourceLocation, body) else {
        Issue.record("expected a SQLiteStoreError", sourceLocation: sourceLocation)
        return nil
    }
    return error
}

/// The error `body` throws, nil when it does not throw. (Closures infer `throws(any Error)`,
/// hence the cast; an error of another type fails the test.)
func caughtStoreError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> SQLiteStoreError? {
    do {
        _ = try body()
        return nil
    } catch let error as SQLiteStoreError {
        return error
    } catch {
        Issue.record("not a SQLiteStoreError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Overwrites bytes of a file in place.
func patchFile(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data(bytes))
}

func fileBytes(_ path: String, at offset: Int, count: Int) throws -> [UInt8] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return Array(data[offset..<(offset + count)])
}
