/// The file's layout and how its version is recorded.
///
/// The version lives in `PRAGMA user_version` (4 bytes of the file header) rather than in a
/// meta table: it is written in the same transaction as the tables, it can be read before
/// knowing anything about the tables, and reading it is the first read of the file, so a
/// file that is not SQLite fails there, at open.
enum SQLiteSchema {
    /// The version this runtime writes and understands.
    static let version = 1

    /// Creates version 1 in an empty file; harmless on a file that already has it, so two
    /// processes racing to create it both succeed.
    ///
    /// A rowid table with the key as a separate unique index, not WITHOUT ROWID, although
    /// that would keep one b-tree instead of two: measured with this file's own write path
    /// (batches of 64 upserts of 100-byte records over 4,096 keys, debug build, same machine,
    /// alternated twice), WITHOUT ROWID managed about a quarter of the transactions per second
    /// with synchronous=NORMAL (≈100/s against ≈370-470/s) and well under half with FULL. It
    /// also keeps whole rows in its b-tree pages, which suits large records (up to MiBs here)
    /// worse.
    static let createVersion1 = """
        BEGIN IMMEDIATE;
        CREATE TABLE IF NOT EXISTS objects (
            class_id TEXT NOT NULL,
            partition_id INTEGER NOT NULL,
            object_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            record BLOB,
            PRIMARY KEY (class_id, partition_id, object_id)
        );
        PRAGMA user_version = 1;
        COMMIT;
        """
}
