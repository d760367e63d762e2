#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Creates the directories above `path` that are missing, like `mkdir -p`; SQLite creates
/// the file but not its directory, and a fresh deployment's data directory often does not
/// exist yet.
/// - Throws: `.cannotOpen` (or `.readOnly` on a read-only file system) naming the directory
///   that could not be made and why.
func createParentDirectories(of path: String) throws(SQLiteStoreError) {
    guard let slash = path.lastIndex(of: "/") else { return }
    let parent = String(path[..<slash])
    var prefix = parent.hasPrefix("/") ? "/" : ""
    for component in parent.split(separator: "/") {
        prefix += prefix.isEmpty || prefix.hasSuffix("/") ? String(component) : "/\(component)"
        // Trying and accepting EEXIST, instead of checking first, is what stays correct when
        // another process creates the same directory at the same time.
        if mkdir(prefix, 0o755) == 0 { continue }
        let failure = errno
        if failure == EEXIST { continue }
        throw SQLiteStoreError(
            kind: failure == EROFS ? .readOnly : .cannotOpen, path: path, operation: "open",
            code: 0,
            detail: "cannot create directory \(prefix): \(String(cString: strerror(failure)))")
    }
}
