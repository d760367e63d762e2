/// The SQL the object file runs, each statement prepared once per connection at open and
/// reused: a write batch of ~64 upserts must not pay SQLite's parser 128 times.
enum SQLiteStatement: Int, CaseIterable {
    case begin
    case commit
    case rollback
    case selectVersion
    case updateIfVersion
    case insertNew
    case selectRow
    case keysAll
    case keysOfClass
    case classIDs

    /// The statements a connection prepares: readers never write, so they skip the rest.
    static func prepared(readOnly: Bool) -> [SQLiteStatement] {
        readOnly ? [.selectRow, .keysAll, .keysOfClass, .classIDs] : allCases
    }

    var sql: String {
        switch self {
        // IMMEDIATE takes the write lock at once, so a batch never fails halfway on a lock
        // upgrade; within this process the writer lock already serializes batches.
        case .begin: "BEGIN IMMEDIATE"
        case .commit: "COMMIT"
        case .rollback: "ROLLBACK"
        case .selectVersion:
            "SELECT version FROM objects WHERE class_id = ?1 AND partition_id = ?2 AND object_id = ?3"
        // The compare-and-set is in the statement: one statement decides and writes, and
        // only a write that changed no row needs a look at the version (to report it).
        case .updateIfVersion:
            """
            UPDATE objects SET version = ?4, record = ?5
            WHERE class_id = ?1 AND partition_id = ?2 AND object_id = ?3 AND version = ?6
            """
        case .insertNew:
            """
            INSERT INTO objects (class_id, partition_id, object_id, version, record)
            VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (class_id, partition_id, object_id) DO NOTHING
            """
        case .selectRow:
            "SELECT version, record FROM objects WHERE class_id = ?1 AND partition_id = ?2 AND object_id = ?3"
        // Both listings walk the primary key, so ORDER BY costs no sort.
        case .keysAll:
            """
            SELECT class_id, partition_id, object_id FROM objects WHERE record IS NOT NULL
            ORDER BY class_id, partition_id, object_id
            """
        case .keysOfClass:
            """
            SELECT class_id, partition_id, object_id FROM objects
            WHERE class_id = ?1 AND record IS NOT NULL ORDER BY class_id, partition_id, object_id
            """
        case .classIDs:
            "SELECT DISTINCT class_id FROM objects WHERE record IS NOT NULL ORDER BY class_id"
        }
    }
}
