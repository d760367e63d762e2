import Foundation
import OaasSQLite
import Testing

@Suite("SQLite object file: bad files, unwritable places, full disks")
struct SQLiteObjectFileFaultTests {
    @Test("a file of garbage is refused at open as not a database, naming the path")
    func garbageFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            let garbage = Array(String(repeating: "this is not a database\n", count: 400).utf8)
            _ = FileManager.default.createFile(atPath: path, contents: Data(garbage))
            let error = storeError { try SQLiteObjectFile.open(path: path) }
            #expect(error?.kind == .notADatabase)
            #expect(error?.path == path)
            #expect(error?.description == "sqlite \(path): open: file is not a database (SQLITE_NOTADB)")
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(onDisk == Data(garbage), "the file is left alone")
        }
    }

    @Test("a database whose pages were overwritten fails with .corrupt on use, and nothing crashes")
    func damagedPages() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            try fillAndClose(path)
            let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            // Page 1 (header and schema) stays; every page after it becomes noise.
            try patchFile(path, at: 4096, with: Array(repeating: 0x5A, count: size - 4096))
            let errors = errorsUsing(path)
            #expect(!errors.isEmpty, "damage went unnoticed")
            for error in errors {
                #expect(error.kind == .corrupt, "\(error)")
                #expect(error.description.hasPrefix("sqlite \(path): "))
                #expect(error.description.contains("SQLITE_CORRUPT"))
            }
        }
    }

    @Test("a truncated database is refused with .corrupt, and nothing crashes")
    func truncatedFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            try fillAndClose(path)
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.truncate(atOffset: 4096 + 1000)
            try handle.close()
            let errors = errorsUsing(path)
            #expect(!errors.isEmpty, "truncation went unnoticed")
            for error in errors { #expect(error.kind == .corrupt, "\(error)") }
        }
    }

    @Test("a file with a newer schema version is refused, saying a newer runtime wrote it, and left unchanged")
    func newerSchema() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/oaas.db"
            try SQLiteObjectFile.open(path: path).close()
            // user_version is the big-endian 32-bit integer at offset 60 of the header.
            try patchFile(path, at: 60, with: [0, 0, 0, 2])
            let error = storeError { try SQLiteObjectFile.open(path: path) }
            #expect(error?.kind == .newerSchema(found: 2, supported: 1))
            #expect(
                error?.description
                    == "sqlite \(path): open: schema version 2 was written by a newer runtime; this one supports up to 1")
            #expect(try fileBytes(path, at: 60, count: 4) == [0, 0, 0, 2])
        }
    }

    @Test("a path below a regular file cannot be opened, and the error names the path and the reason")
    func pathBelowAFile() throws {
        try withTemporaryDirectory { directory in
            let plain = directory + "/plain"
            _ = FileManager.default.createFile(atPath: plain, contents: Data([1]))
            let deep = plain + "/data/oaas.db"
            let mkdirError = storeError { try SQLiteObjectFile.open(path: deep) }
            #expect(mkdirError?.kind == .cannotOpen)
            #expect(mkdirError?.description == "sqlite \(deep): open: cannot create directory \(plain)/data: Not a directory")
            let direct = plain + "/oaas.db"
            let openError = storeError { try SQLiteObjectFile.open(path: direct) }
            #expect(openError?.kind == .cannotOpen)
            #expect(openError?.description.hasPrefix("sqlite \(direct): open: ") == true)
            #expect(openError?.description.hasSuffix("(SQLITE_CANTOPEN)") == true)
        }
    }

    // Root ignores permission bits, so "cannot write" needs a read-only file system.
    @Test(
        "a read-only file system: a new file, a new directory and an existing database are all refused",
        .enabled(if: Tmpfs.isAvailable, "needs root and mount(8) for a read-only tmpfs"))
    func readOnlyFileSystem() throws {
        try withTemporaryDirectory { directory in
            try Tmpfs.withMount("ro,size=1m", at: directory) {
                let fresh = storeError { try SQLiteObjectFile.open(path: directory + "/oaas.db") }
                #expect(fresh?.kind == .cannotOpen, "\(String(describing: fresh))")
                #expect(fresh?.description.hasPrefix("sqlite \(directory)/oaas.db: open: ") == true)
                let nested = storeError { try SQLiteObjectFile.open(path: directory + "/data/oaas.db") }
                #expect(nested?.kind == .readOnly)
                #expect(nested?.description.contains("Read-only file system") == true)
            }
            try Tmpfs.withMount("size=1m", at: directory) {
                let path = directory + "/oaas.db"
                let file = try SQLiteObjectFile.open(path: path)
                _ = try file.write([insert(objectKey("a"), [1])])
                file.close()
                try #require(Tmpfs.remount("ro", at: directory))
                let existing = storeError { try SQLiteObjectFile.open(path: path) }
                #expect(existing?.kind == .readOnly, "\(String(describing: existing))")
                #expect(existing?.description.hasPrefix("sqlite \(path): open: ") == true)
            }
        }
    }

    @Test("a batch that hits max_page_count is rolled back whole; earlier objects stay; raising the limit lets it through")
    func diskFullFromPageLimit() throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db", maxPageCount: 64)
            defer { file.close() }
            try fillUntilFull(file, recordSize: 2_000) { file, failingBatch in
                try file.setMaxPageCount(nil)
                #expect(try file.write(failingBatch).allSatisfy { $0 == .written })
            }
        }
    }

    @Test(
        "a really full disk (512 KiB tmpfs): the failing batch leaves nothing, earlier objects stay, writes resume once space is freed",
        .enabled(if: Tmpfs.isAvailable, "needs root and mount(8) for a small tmpfs to fill"))
    func realDiskFull() throws {
        try withTemporaryDirectory { directory in
            try Tmpfs.withMount("size=512k", at: directory) {
                let filler = directory + "/filler"
                _ = FileManager.default.createFile(atPath: filler, contents: Data(recordBytes(128 << 10, seed: 9)))
                let path = directory + "/db/oaas.db"
                var committed: [SQLiteObjectKey: SQLiteObjectRow] = [:]
                do {
                    let file = try SQLiteObjectFile.open(path: path)
                    defer { file.close() }
                    committed = try fillUntilFull(file, recordSize: 8_000) { file, failingBatch in
                        try FileManager.default.removeItem(atPath: filler)
                        #expect(try file.write(failingBatch).allSatisfy { $0 == .written })
                    }
                }
                // What was committed, the batch written after the space came back included,
                // is what a reopened file holds.
                let reopened = try SQLiteObjectFile.open(path: path)
                defer { reopened.close() }
                for (key, row) in committed { #expect(try reopened.read(key) == row) }
                #expect(try reopened.keys(classID: nil).count == committed.count)
            }
        }
    }
}

/// Writes 300 objects of 1 KiB and closes the file, so its pages go beyond the first.
private func fillAndClose(_ path: String) throws {
    let file = try SQLiteObjectFile.open(path: path)
    _ = try file.write((0..<300).map { insert(objectKey("o\($0)"), recordBytes(1_024, seed: UInt64($0))) })
    file.close()
}

/// Opens `path` and uses it every way; returns the errors met. Any error other than a
/// SQLiteStoreError, or a crash, fails the test by itself.
private func errorsUsing(_ path: String) -> [SQLiteStoreError] {
    let file: SQLiteObjectFile
    do throws(SQLiteStoreError) { file = try SQLiteObjectFile.open(path: path) } catch { return [error] }
    defer { file.close() }
    return [
        caughtStoreError { try file.read(objectKey("o1")) },
        caughtStoreError { try file.keys(classID: nil) },
        caughtStoreError { try file.classIDs() },
        caughtStoreError { try file.write([insert(objectKey("new"), [1])]) },
    ].compactMap { $0 }
}

/// Writes batches of 4 objects (3 new ones and an update of the first) until one fails
/// `.diskFull`; checks that none of that batch got in and everything before did; then lets
/// `makeRoom` free space and retry the batch. Returns every committed row, the retried
/// batch's included.
@discardableResult
private func fillUntilFull(
    _ file: SQLiteObjectFile, recordSize: Int,
    makeRoom: (SQLiteObjectFile, [SQLiteObjectWrite]) throws -> Void
) throws -> [SQLiteObjectKey: SQLiteObjectRow] {
    let first = objectKey("first")
    var committed = [first: SQLiteObjectRow(version: 1, record: [1])]
    #expect(try file.write([insert(first, [1])]) == [.written])
    var failing: [SQLiteObjectWrite]?
    for round in 1...500 {
        let version = UInt64(round)
        var batch = (0..<3).map { index in
            insert(objectKey("r\(round)-\(index)"), recordBytes(recordSize, seed: UInt64(round * 8 + index)))
        }
        batch.append(SQLiteObjectWrite(key: first, expectedVersion: version, newVersion: version + 1, record: [UInt8(truncatingIfNeeded: round)]))
        let outcomes: [SQLiteWriteOutcome]
        do throws(SQLiteStoreError) {
            outcomes = try file.write(batch)
        } catch {
            #expect(error.kind == .diskFull, "\(error)")
            #expect(error.description.contains("(SQLITE_FULL"), "\(error)")
            failing = batch
            break
        }
        #expect(outcomes.allSatisfy { $0 == .written })
        for write in batch { committed[write.key] = SQLiteObjectRow(version: write.newVersion, record: write.record) }
    }
    let failingBatch = try #require(failing, "the file never filled up")
    #expect(file.statistics.failedTransactions == 1)
    for write in failingBatch.dropLast() { #expect(try file.read(write.key) == nil) }
    for (key, row) in committed { #expect(try file.read(key) == row) }
    // The same open file takes writes again once there is room.
    try makeRoom(file, failingBatch)
    for write in failingBatch { committed[write.key] = SQLiteObjectRow(version: write.newVersion, record: write.record) }
    for (key, row) in committed { #expect(try file.read(key) == row) }
    return committed
}
