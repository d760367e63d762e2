import Foundation
import OaasBus

/// Where objects live, as the store setting names it (`OaasConfig.storeURL`,
/// `OPRC_STORE_URL`, `demo serve --store`):
///
/// - `memory`: in this process only (tests, the demo's examples, mock mode).
/// - `sqlite:PATH[?synchronous=normal|full]`: a SQLite file, created with its directories on
///   first use. `normal` (the default) survives a killed process; `full` survives a power
///   loss too, at the price of one more disk flush per group of commits.
/// - `nats-kv://[user:pass@|token@]host[:port][,host[:port]...]/BUCKET[?replicas=N]`: a NATS
///   JetStream key-value bucket, shared by every process that names it. Credentials not in
///   the URL come from the bus settings (`OPRC_BUS_TOKEN`, `OPRC_BUS_USER`, ...).
///
/// A plain value; any thread.
public enum StoreURL: Equatable, Sendable {
    case memory
    case sqlite(path: String, synchronous: SQLiteSync)
    case natsKV(servers: String, bucket: String, replicas: Int)

    /// SQLite's `synchronous` setting for the store.
    public enum SQLiteSync: String, Sendable {
        case normal, full
    }

    /// Reads a store URL. - Throws: a reason phrased for a person (the caller names the
    /// setting in its ``ConfigurationError``).
    public static func parse(_ text: String) throws(StoreURLError) -> StoreURL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "memory" { return .memory }
        if trimmed.lowercased().hasPrefix("sqlite:") {
            return try parseSQLite(String(trimmed.dropFirst("sqlite:".count)))
        }
        if trimmed.lowercased().hasPrefix("nats-kv://") {
            return try parseNATSKV(String(trimmed.dropFirst("nats-kv://".count)))
        }
        let scheme = trimmed.split(separator: ":", maxSplits: 1).first.map(String.init) ?? trimmed
        throw StoreURLError(reason: "unknown store \"\(scheme)\"; use memory, sqlite:PATH or nats-kv://host:port/BUCKET")
    }

    private static func parseSQLite(_ rest: String) throws(StoreURLError) -> StoreURL {
        var path = rest
        var synchronous = SQLiteSync.normal
        if let question = rest.firstIndex(of: "?") {
            path = String(rest[..<question])
            for option in try options(String(rest[rest.index(after: question)...])) {
                guard option.name == "synchronous" else {
                    throw StoreURLError(reason: "unknown sqlite option \"\(option.name)\"; the one option is synchronous=normal|full")
                }
                guard let value = SQLiteSync(rawValue: option.value.lowercased()) else {
                    throw StoreURLError(reason: "synchronous must be normal or full, not \"\(option.value)\"")
                }
                synchronous = value
            }
        }
        // `sqlite://PATH` is a common spelling; the path is what follows the slashes' pair.
        if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
        guard !path.isEmpty else { throw StoreURLError(reason: "sqlite: needs a file path, e.g. sqlite:./oaas-data/objects.db") }
        guard !path.hasSuffix("/") else { throw StoreURLError(reason: "sqlite path \"\(path)\" names a directory; name the database file in it") }
        guard !path.utf8.contains(0) else { throw StoreURLError(reason: "the sqlite path contains a NUL byte") }
        return .sqlite(path: path, synchronous: synchronous)
    }

    private static func parseNATSKV(_ rest: String) throws(StoreURLError) -> StoreURL {
        var body = rest
        var replicas = 1
        if let question = rest.firstIndex(of: "?") {
            body = String(rest[..<question])
            for option in try options(String(rest[rest.index(after: question)...])) {
                guard option.name == "replicas" else {
                    throw StoreURLError(reason: "unknown nats-kv option \"\(option.name)\"; the one option is replicas=N")
                }
                guard let count = Int(option.value), (1...5).contains(count) else {
                    throw StoreURLError(reason: "replicas must be 1 to 5 (JetStream's limit), not \"\(option.value)\"")
                }
                replicas = count
            }
        }
        guard let slash = body.lastIndex(of: "/") else {
            throw StoreURLError(reason: "nats-kv:// needs a bucket after the servers, e.g. nats-kv://127.0.0.1:4222/oaas")
        }
        let servers = String(body[..<slash])
        let bucket = String(body[body.index(after: slash)...])
        guard !bucket.isEmpty, bucket.utf8.allSatisfy(isBucketByte) else {
            throw StoreURLError(reason: "bucket \"\(bucket)\" must be letters, digits, - and _ only")
        }
        // Each server of the list takes the scheme, so the NATS client's rules apply to it.
        let list = servers.split(separator: ",", omittingEmptySubsequences: false).map { "nats://\($0)" }.joined(separator: ",")
        do {
            try NATSURL.validate(list)
        } catch {
            throw StoreURLError(reason: "the servers of nats-kv: \(error.reason)")
        }
        return .natsKV(servers: list, bucket: bucket, replicas: replicas)
    }

    private static func isBucketByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    private static func options(_ query: String) throws(StoreURLError) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw StoreURLError(reason: "option \"\(pair)\" is not name=value")
            }
            result.append((parts[0].lowercased(), String(parts[1])))
        }
        return result
    }

    /// The URL with any password or token masked, for logs and messages.
    public var redacted: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path, let synchronous): "sqlite:\(path)\(synchronous == .normal ? "" : "?synchronous=\(synchronous.rawValue)")"
        case .natsKV(let servers, let bucket, let replicas):
            "nats-kv://\(BusURLRedaction.redacted(servers).replacingOccurrences(of: "nats://", with: ""))/\(bucket)\(replicas == 1 ? "" : "?replicas=\(replicas)")"
        }
    }
}

/// A store URL that cannot be used, and why. Any thread.
public struct StoreURLError: Error, Equatable, Sendable {
    public let reason: String
}
