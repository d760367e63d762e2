import Foundation
import OaasSQLite
import Testing

@Suite("SQLite object file: write rate")
struct SQLiteWriteRateTests {
    // A measurement, not a check: it prints and asserts nothing about speed, and it takes a
    // while with FULL, so it only runs when asked for.
    @Test(
        "batches of 64 upserts of 100-byte records, NORMAL and FULL (prints transactions/s and rows/s)",
        .enabled(if: ProcessInfo.processInfo.environment["OAAS_SQLITE_RATE"] != nil, "set OAAS_SQLITE_RATE=1 to measure"),
        arguments: [SQLiteSynchronous.normal, .full])
    func writeRate(synchronous: SQLiteSynchronous) throws {
        try withTemporaryDirectory { directory in
            let file = try SQLiteObjectFile.open(path: directory + "/oaas.db", synchronous: synchronous)
            defer { file.close() }
            let keys = (0..<4_096).map { objectKey("object-\($0)", partition: UInt32($0 % 16)) }
            var versions = [UInt64](repeating: 0, count: keys.count)
            let record = recordBytes(100, seed: 3)
            let batches = synchronous == .full ? 300 : 1_000
            var next = 0
            let start = ContinuousClock.now
            for _ in 0..<batches {
                var batch: [SQLiteObjectWrite] = []
                batch.reserveCapacity(64)
                for _ in 0..<64 {
                    next = (next + 61) % keys.count  // spread over the file; the first pass inserts
                    batch.append(SQLiteObjectWrite(
                        key: keys[next], expectedVersion: versions[next], newVersion: versions[next] + 1, record: record))
                    versions[next] += 1
                }
                #expect(try file.write(batch).allSatisfy { $0 == .written })
            }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let rate = Double(batches) / seconds
            print(
                "sqlite write rate \(synchronous): \(Int(rate)) transactions/s, \(Int(rate * 64)) rows/s"
                    + " (\(batches) batches of 64 in \(String(format: "%.2f", seconds)) s)")
        }
    }
}
