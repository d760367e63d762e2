import Foundation
import OaasLoop
import OaasSQLite
import Testing

@Suite("SQLite object file: threads")
struct SQLiteObjectFileConcurrencyTests {
    @Test("reads on other threads go on while a batch is being written, and each sees one whole committed batch")
    func readersDuringWrites() throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db", readers: 2)
            defer { file.close() }
            let keys = (0..<200).map { objectKey("o\($0)") }
            let rounds: UInt64 = 6
            // Every record of round r is 8 KiB of byte r, so a read shows which batch it saw.
            _ = try file.write(keys.map { insert($0, Array(repeating: 1, count: 8_192)) })

            struct Shared {
                var writing = false
                var writerDone = false
                var finishedThreads = 0
                var readsWhileWriting = 0
                var reads = 0
                var problems: [String] = []
            }
            let shared = LockedValue(Shared())
            let readerThreads = 3  // one more than the pool, so one reads through the writer
            for thread in 0..<readerThreads {
                Thread {
                    var index = thread
                    while !shared.withLock({ $0.writerDone }) {
                        index = (index + 7) % keys.count
                        let startedDuringWrite = shared.withLock { $0.writing }
                        let row: SQLiteObjectRow?
                        do { row = try file.read(keys[index]) } catch {
                            shared.withLock { $0.problems.append("read failed: \(error)") }
                            break
                        }
                        shared.withLock { state in
                            state.reads += 1
                            if startedDuringWrite && state.writing { state.readsWhileWriting += 1 }
                            guard let row, let record = row.record, record.count == 8_192,
                                (1...rounds + 1).contains(row.version),
                                record.allSatisfy({ $0 == UInt8(row.version) })
                            else { return state.problems.append("inconsistent row for \(keys[index]): \(String(describing: row?.version))") }
                        }
                    }
                    shared.withLock { $0.finishedThreads += 1 }
                }.start()
            }
            for round in 1...rounds {
                let batch = keys.map {
                    SQLiteObjectWrite(
                        key: $0, expectedVersion: round, newVersion: round + 1,
                        record: Array(repeating: UInt8(round + 1), count: 8_192))
                }
                shared.withLock { $0.writing = true }
                let outcomes = try file.write(batch)
                shared.withLock { $0.writing = false }
                #expect(outcomes.allSatisfy { $0 == .written })
            }
            shared.withLock { $0.writerDone = true }
            while shared.withLock({ $0.finishedThreads }) < readerThreads { usleep(1_000) }

            let state = shared.withLock { $0 }
            #expect(state.problems.isEmpty, "\(state.problems.prefix(5))")
            #expect(state.reads > 0)
            #expect(state.readsWhileWriting > 0, "no read finished while a batch was being written")
            for key in keys { #expect(try file.read(key)?.version == rounds + 1) }
        }
    }

    @Test("batches from several threads are serialized: every compare-and-set increment lands exactly once")
    func concurrentWriters() throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db")
            defer { file.close() }
            let key = objectKey("counter")
            _ = try file.write([insert(key, [0])])
            let threads = 4
            let incrementsPerThread = 50
            let finished = LockedValue((threads: 0, errors: [String]()))
            for _ in 0..<threads {
                Thread {
                    var done = 0
                    while done < incrementsPerThread {
                        do {
                            guard let current = try file.read(key)?.version else {
                                finished.withLock { $0.errors.append("the counter is gone") }
                                break
                            }
                            let write = SQLiteObjectWrite(key: key, expectedVersion: current, newVersion: current + 1, record: [1])
                            if try file.write([write]) == [.written] { done += 1 }
                        } catch {
                            finished.withLock { $0.errors.append("\(error)") }
                            break
                        }
                    }
                    finished.withLock { $0.threads += 1 }
                }.start()
            }
            while finished.withLock({ $0.threads }) < threads { usleep(1_000) }
            #expect(finished.withLock { $0.errors }.isEmpty)
            #expect(try file.read(key)?.version == UInt64(1 + threads * incrementsPerThread))
            #expect(file.statistics.rowsWritten == UInt64(1 + threads * incrementsPerThread))
        }
    }
}
