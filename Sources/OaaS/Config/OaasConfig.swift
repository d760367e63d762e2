import Foundation
import OaasBus

/// The runtime's settings (the design's `OaasConfig`).
///
/// Each setting comes from, in order: the initializer's argument, the environment variable
/// named beside it, the default. Invalid environment values are an error, not silently the
/// default. Any thread (a value).
public struct OaasConfig: Sendable {
    /// Handler choice for servers started without an explicit `asyncMode:`; `nil` (the default)
    /// lets the caller decide: a caller passing a loop gets the asynchronous handler, one
    /// without gets the runtime's own loop and the synchronous handler. Env `ASYNC_MODE`.
    public var asyncMode: Bool?
    /// Mock mode: nothing binds a socket; calls run in-process against the in-memory store.
    /// Env `MOCK_MODE`; default `false`.
    public var mockMode: Bool
    /// Partition used when a call or agent names none. Env `OPRC_PARTITION_DEFAULT`; default 0.
    public var defaultPartition: UInt32
    /// Port of `startServer()` when none is passed. Env `HTTP_PORT`; default 8080; 0 picks a
    /// free port.
    public var serverPort: Int
    /// Address the server listens on. Env `OAAS_SERVER_HOST`; default `0.0.0.0` (all IPv4
    /// interfaces), since the platform reaches the server from elsewhere.
    public var serverHost: String
    /// Calls that may wait for one object while it is busy; beyond that a call fails at once
    /// with `SYSTEM_ERROR` ("overloaded"). Env `OAAS_MAX_PENDING_PER_OBJECT`; default 4096.
    public var maxPendingCallsPerObject: Int
    /// How long `stopServer()` lets in-flight calls finish. Env `OAAS_DRAIN_TIMEOUT_MS`;
    /// default 10 s.
    public var drainTimeout: Duration
    /// How long clients get between the first GOAWAY notice and the final one when the
    /// server stops, so calls already on the wire are still accepted.
    /// Env `OAAS_GOAWAY_NOTICE_MS`; default 1 s.
    public var goAwayNotice: Duration
    /// What the runtime logs. Env `OAAS_DEBUG_LEVEL` (`none`…`trace`); default `info`.
    public var debugLevel: DebugLevel
    /// The object store itself, when the caller made one; it overrides ``storeURL``.
    public var store: (any ObjectStore)?
    /// Where objects live when ``store`` is `nil` (see ``StoreURL``): `memory` (the default:
    /// a new in-memory store per `configure`), `sqlite:PATH[?synchronous=full]`, or
    /// `nats-kv://host:port[,host:port]/BUCKET[?replicas=N]`. Env `OPRC_STORE_URL`.
    public var storeURL: String
    /// How many times a call runs when its commit keeps losing the compare-and-set to another
    /// process (or loop) changing the same object; then it fails with `SYSTEM_ERROR`. Env
    /// `OAAS_MAX_COMMIT_ATTEMPTS`; default 10.
    public var maxCommitAttempts: Int
    /// Objects a durable store keeps in memory (so hot objects cost no read). Env
    /// `OAAS_STORE_CACHE_OBJECTS`; default 100,000.
    public var storeCacheObjects: Int
    /// The message bus agents serve on and bus calls go through: `embedded` (the in-process
    /// bus, the default; mock mode always uses it) or a NATS URL list
    /// `nats://[token@|user:password@]host[:port][,host[:port]...]`. Env `OPRC_BUS_URL`.
    public var busURL: String
    /// NATS token, when the URL carries none. Env `OPRC_BUS_TOKEN`.
    public var busToken: String?
    /// NATS user and password, when the URL carries none. Env `OPRC_BUS_USER`,
    /// `OPRC_BUS_PASSWORD`.
    public var busUser: String?
    public var busPassword: String?
    /// How long a call through the bus waits for its reply by default. Env
    /// `OAAS_BUS_TIMEOUT_MS`; default 10 s.
    public var busRequestTimeout: Duration
    /// How long connecting to a NATS server may take. Env `OAAS_BUS_CONNECT_TIMEOUT_MS`;
    /// default 2 s.
    public var busConnectTimeout: Duration

    /// Whether ``busURL`` names the embedded bus.
    public var usesEmbeddedBus: Bool { busURL.lowercased() == "embedded" }

    /// Makes a configuration; arguments left `nil` come from `environment`, then defaults.
    /// - Throws: ``ConfigurationError`` for an environment value that does not parse.
    /// Any thread.
    public init(
        asyncMode: Bool? = nil, mockMode: Bool? = nil, defaultPartition: UInt32? = nil,
        serverPort: Int? = nil, serverHost: String? = nil, maxPendingCallsPerObject: Int? = nil,
        drainTimeout: Duration? = nil, goAwayNotice: Duration? = nil, debugLevel: DebugLevel? = nil,
        store: (any ObjectStore)? = nil, storeURL: String? = nil, maxCommitAttempts: Int? = nil,
        storeCacheObjects: Int? = nil,
        busURL: String? = nil, busToken: String? = nil, busUser: String? = nil, busPassword: String? = nil,
        busRequestTimeout: Duration? = nil, busConnectTimeout: Duration? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        // Each environment variable is read only when its argument is absent, so an
        // unparsable variable does not fail a configuration that overrides it.
        let envAsync = try env.bool("ASYNC_MODE", unless: asyncMode)
        let envMock = try env.bool("MOCK_MODE", unless: mockMode)
        let envPartition = try env.integer("OPRC_PARTITION_DEFAULT", in: 0...Int(UInt32.max), unless: defaultPartition)
        let envPort = try env.integer("HTTP_PORT", in: 0...65535, unless: serverPort)
        let envPending = try env.integer("OAAS_MAX_PENDING_PER_OBJECT", in: 0...Int(Int32.max), unless: maxPendingCallsPerObject)
        let envDrain = try env.integer("OAAS_DRAIN_TIMEOUT_MS", in: 0...3_600_000, unless: drainTimeout)
        let envNotice = try env.integer("OAAS_GOAWAY_NOTICE_MS", in: 0...60_000, unless: goAwayNotice)
        let envLevel = try env.debugLevel("OAAS_DEBUG_LEVEL", unless: debugLevel)
        let envBusTimeout = try env.integer("OAAS_BUS_TIMEOUT_MS", in: 1...3_600_000, unless: busRequestTimeout)
        let envBusConnect = try env.integer("OAAS_BUS_CONNECT_TIMEOUT_MS", in: 1...600_000, unless: busConnectTimeout)
        let envAttempts = try env.integer("OAAS_MAX_COMMIT_ATTEMPTS", in: 1...1000, unless: maxCommitAttempts)
        let envCache = try env.integer("OAAS_STORE_CACHE_OBJECTS", in: 1...100_000_000, unless: storeCacheObjects)
        self.asyncMode = asyncMode ?? envAsync
        self.mockMode = mockMode ?? envMock ?? false
        self.defaultPartition = defaultPartition ?? envPartition.map { UInt32($0) } ?? 0
        self.serverPort = serverPort ?? envPort ?? 8080
        self.serverHost = serverHost ?? env.string("OAAS_SERVER_HOST") ?? "0.0.0.0"
        self.maxPendingCallsPerObject = maxPendingCallsPerObject ?? envPending ?? 4096
        self.drainTimeout = drainTimeout ?? envDrain.map { .milliseconds($0) } ?? .seconds(10)
        self.goAwayNotice = goAwayNotice ?? envNotice.map { .milliseconds($0) } ?? .seconds(1)
        self.debugLevel = debugLevel ?? envLevel ?? .info
        self.store = store
        let envStoreURL = storeURL == nil ? env.string("OPRC_STORE_URL") : nil
        self.storeURL = storeURL ?? envStoreURL ?? "memory"
        self.maxCommitAttempts = maxCommitAttempts ?? envAttempts ?? 10
        self.storeCacheObjects = storeCacheObjects ?? envCache ?? 100_000
        let envBusURL = busURL == nil ? env.string("OPRC_BUS_URL") : nil
        self.busURL = busURL ?? envBusURL ?? "embedded"
        self.busToken = busToken ?? env.string("OPRC_BUS_TOKEN")
        self.busUser = busUser ?? env.string("OPRC_BUS_USER")
        self.busPassword = busPassword ?? env.string("OPRC_BUS_PASSWORD")
        self.busRequestTimeout = busRequestTimeout ?? envBusTimeout.map { .milliseconds($0) } ?? .seconds(10)
        self.busConnectTimeout = busConnectTimeout ?? envBusConnect.map { .milliseconds($0) } ?? .seconds(2)
        if !usesEmbeddedBus {
            do {
                try NATSURL.validate(self.busURL)
            } catch {
                throw ConfigurationError(setting: envBusURL != nil ? "OPRC_BUS_URL" : "busURL", value: BusURLRedaction.redacted(self.busURL),
                                         expected: "'embedded' or nats://host:port[,host:port...] (\(error.reason))")
            }
        }
        do {
            _ = try StoreURL.parse(self.storeURL)
        } catch {
            throw ConfigurationError(setting: envStoreURL != nil ? "OPRC_STORE_URL" : "storeURL",
                                     value: BusURLRedaction.redacted(self.storeURL), expected: error.reason)
        }
        if self.maxCommitAttempts < 1 || self.storeCacheObjects < 1 {
            throw ConfigurationError(setting: "maxCommitAttempts/storeCacheObjects",
                                     value: "\(self.maxCommitAttempts)/\(self.storeCacheObjects)", expected: "1 or more")
        }
        if self.busRequestTimeout <= .zero || self.busConnectTimeout <= .zero {
            throw ConfigurationError(setting: "busRequestTimeout/busConnectTimeout", value: "\(self.busRequestTimeout)/\(self.busConnectTimeout)",
                                     expected: "positive durations")
        }
        if !(0...65535).contains(self.serverPort) {
            throw ConfigurationError(setting: "serverPort", value: String(self.serverPort), expected: "a port 0...65535")
        }
        if self.drainTimeout < .zero || self.drainTimeout > .seconds(3600) {
            throw ConfigurationError(setting: "drainTimeout", value: "\(self.drainTimeout)", expected: "0 s to 1 hour")
        }
        if self.goAwayNotice < .zero || self.goAwayNotice > .seconds(60) {
            throw ConfigurationError(setting: "goAwayNotice", value: "\(self.goAwayNotice)", expected: "0 s to 60 s")
        }
        if self.maxPendingCallsPerObject < 0 {
            throw ConfigurationError(setting: "maxPendingCallsPerObject", value: String(self.maxPendingCallsPerObject),
                                     expected: "0 or more")
        }
    }
}

/// Parses environment variables the way pydantic-settings does for the Python SDK's config:
/// names are matched case-insensitively and booleans accept `true/false/1/0/yes/no/on/off`.
struct EnvironmentReader {
    private let values: [String: String]

    init(_ environment: [String: String]) {
        var upper: [String: String] = [:]
        for (name, value) in environment { upper[name.uppercased()] = value }
        values = upper
    }

    func string(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func bool<G>(_ name: String, unless given: G?) throws(ConfigurationError) -> Bool? {
        guard given == nil, let value = string(name) else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on", "y", "t": return true
        case "0", "false", "no", "off", "n", "f": return false
        default: throw ConfigurationError(setting: name, value: value, expected: "true or false")
        }
    }

    func integer<G>(_ name: String, in range: ClosedRange<Int>, unless given: G?) throws(ConfigurationError) -> Int? {
        guard given == nil, let value = string(name) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError(setting: name, value: value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func debugLevel<G>(_ name: String, unless given: G?) throws(ConfigurationError) -> DebugLevel? {
        guard given == nil, let value = string(name) else { return nil }
        guard let level = DebugLevel(rawValue: value.lowercased()) else {
            throw ConfigurationError(setting: name, value: value,
                                     expected: DebugLevel.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return level
    }
}
