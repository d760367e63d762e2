/// How hard SQLite pushes a commit to the disk (`PRAGMA synchronous`).
///
/// A plain value; any thread.
public enum SQLiteSynchronous: String, Sendable {
    /// In WAL mode a commit is not synced; the WAL is synced at checkpoints. A power cut may
    /// lose the last commits but never corrupts the file. A process crash loses nothing.
    case normal
    /// Every commit is synced before `write` returns: durable across power loss, slower.
    case full
}
