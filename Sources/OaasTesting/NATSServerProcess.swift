// A real nats-server for tests: started on 127.0.0.1 with a port of its choosing, killed,
// restarted on the same port, clustered with others.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a ``NATSServerProcess`` could not start. Any thread.
public struct NATSServerProcessError: Error, CustomStringConvertible {
    /// What went wrong, with the server's log when there is one.
    public let message: String
    public var description: String { message }
}

/// One `nats-server` process on 127.0.0.1, for tests that need a real NATS peer.
///
/// The server picks its client port (`-p -1`) and the fixture reads it from the server's log;
/// ``restart()`` brings it back on the same port (and cluster port), with the same options.
/// Options that have no command-line flag (`max_payload`, permissions) go into a config file
/// in a private temporary directory, removed when the fixture is released. With
/// ``Options/jetStream``, JetStream's file store lives there too (``storeDirectory``): it
/// survives ``kill()`` and ``restart()``, so streams persist across them as they would on
/// a real server's disk, and goes with the fixture.
///
/// Processes never outlive the test run: the fixture kills its process when released, an
/// `atexit` handler kills every process still running when the test binary exits, and a
/// small watchdog shell kills the server if the test process dies without running either
/// (a crash, SIGKILL).
///
/// The executable is `$NATS_SERVER`, else the first of `/usr/sbin/nats-server` (where
/// Debian's package puts it), `/usr/bin/nats-server` and `nats-server` on `PATH`.
///
/// Any thread; its members are serialized by a lock.
public final class NATSServerProcess: @unchecked Sendable {
    // @unchecked: the mutable state (`process`, `port`, `clusterPort`, `starts`) is guarded
    // by `lock`.

    /// How to run the server.
    public struct Options: Sendable {
        /// Clients must send this token.
        public var token: String?
        /// Clients must log in as this user, with ``password``.
        public var user: String?
        public var password: String?
        /// The server's `max_payload` in bytes (its default is 1 MiB).
        public var maxPayload: Int?
        /// Joins a cluster: listen for routes on a port of the server's choosing.
        public var cluster = false
        /// Cluster ports of servers to route to (implies ``cluster``).
        public var routes: [Int] = []
        /// Lines added to the config file verbatim, e.g. an `authorization` block.
        public var extraConfig: String?
        /// Extra command-line arguments.
        public var extraArguments: [String] = []
        /// Enables JetStream (`-js`), with file storage in ``NATSServerProcess/storeDirectory``.
        public var jetStream = false

        public init(token: String? = nil, user: String? = nil, password: String? = nil, maxPayload: Int? = nil,
                    cluster: Bool = false, routes: [Int] = [], extraConfig: String? = nil, extraArguments: [String] = [],
                    jetStream: Bool = false) {
            self.token = token
            self.user = user
            self.password = password
            self.maxPayload = maxPayload
            self.cluster = cluster
            self.routes = routes
            self.extraConfig = extraConfig
            self.extraArguments = extraArguments
            self.jetStream = jetStream
        }
    }

    /// The options the server runs with.
    public let options: Options
    private let executable: String
    private let directory: URL
    private let lock = NSLock()
    private var process: Process?
    private var watchdog: Process?
    private var currentPort = 0
    private var currentClusterPort: Int?
    private var starts = 0

    /// The client port. Any thread.
    public var port: Int { lock.withLock { currentPort } }
    /// The route port when clustered. Any thread.
    public var clusterPort: Int? { lock.withLock { currentClusterPort } }
    /// `nats://127.0.0.1:<port>`, without credentials. Any thread.
    public var url: String { "nats://127.0.0.1:\(port)" }
    /// Whether the server process is running. Any thread.
    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    /// The process id, while running. Any thread.
    public var processIdentifier: Int32? { lock.withLock { process.map(\.processIdentifier) } }
    /// Where JetStream keeps its streams (`-sd`), when ``Options/jetStream`` is on: inside the
    /// fixture's private directory, the same for every run of the server. Any thread.
    public var storeDirectory: String? {
        options.jetStream ? directory.appendingPathComponent("jetstream").path : nil
    }

    /// Starts a server and returns once it accepts clients.
    /// - Throws: ``NATSServerProcessError`` when the executable is missing, the server exits
    ///   early (its log is in the message) or is not ready within 10 seconds.
    /// Any thread (blocks while the server starts, typically a few milliseconds).
    public static func start(_ options: Options = Options()) throws -> NATSServerProcess {
        let server = try NATSServerProcess(options: options)
        do {
            try server.lock.withLock { try server.launch(port: -1, clusterPort: options.cluster || !options.routes.isEmpty ? -1 : nil) }
        } catch {
            server.kill()
            throw error
        }
        return server
    }

    /// Starts a server; see ``start(_:)``.
    public static func start(token: String? = nil, user: String? = nil, password: String? = nil,
                             maxPayload: Int? = nil, cluster: Bool = false, routes: [Int] = [],
                             extraConfig: String? = nil, extraArguments: [String] = [],
                             jetStream: Bool = false) throws -> NATSServerProcess {
        try start(Options(token: token, user: user, password: password, maxPayload: maxPayload, cluster: cluster,
                          routes: routes, extraConfig: extraConfig, extraArguments: extraArguments, jetStream: jetStream))
    }

    private init(options: Options) throws {
        self.options = options
        executable = try Self.findExecutable()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("oaas-nats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = ""
        if let maxPayload = options.maxPayload { config += "max_payload: \(maxPayload)\n" }
        if let extra = options.extraConfig { config += extra + "\n" }
        try config.write(to: directory.appendingPathComponent("server.conf"), atomically: true, encoding: .utf8)
        NATSServerRegistry.installExitHandler()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to exit. Idempotent.
    /// Any thread.
    public func kill() {
        signalAndWait(SIGKILL)
    }

    /// Stops the server gracefully (SIGTERM) and waits for it to exit. Idempotent. Any thread.
    public func stop() {
        signalAndWait(SIGTERM)
    }

    /// Puts the server into lame-duck mode (SIGUSR2): it stops accepting clients, tells its
    /// clients in an INFO, and exits after its grace period and lame-duck duration. Any thread.
    public func enterLameDuckMode() {
        lock.withLock {
            guard let process, process.isRunning else { return }
            _ = Glibc.kill(process.processIdentifier, SIGUSR2)
        }
    }

    /// Starts the server again on the same port (and cluster port) with the same options,
    /// stopping it first if it runs. Retries for a few seconds while the port is still taken.
    /// - Throws: ``NATSServerProcessError`` as ``start(_:)`` does.
    /// Any thread (blocks).
    public func restart() throws {
        kill()
        try lock.withLock {
            let deadline = Date().addingTimeInterval(5)
            while true {
                do {
                    return try launch(port: currentPort, clusterPort: currentClusterPort)
                } catch let error as NATSServerProcessError where error.message.contains("address already in use") && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
        }
    }

    /// The server's log of its current (or last) run. Any thread.
    public var log: String {
        let file = lock.withLock { logFile(starts) }
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }

    private func logFile(_ run: Int) -> URL {
        directory.appendingPathComponent("server-\(run).log")
    }

    private func signalAndWait(_ signal: Int32) {
        lock.withLock {
            guard let process else { return }
            if process.isRunning { _ = Glibc.kill(process.processIdentifier, signal) }
            process.waitUntilExit()
            NATSServerRegistry.remove(process.processIdentifier)
            self.process = nil
            watchdog?.terminate()
            watchdog = nil
        }
    }

    /// Runs the server and waits until it listens. Called with `lock` held.
    private func launch(port: Int, clusterPort: Int?) throws {
        starts += 1
        let log = logFile(starts)
        var arguments = ["-c", directory.appendingPathComponent("server.conf").path,
                         "-a", "127.0.0.1", "-p", String(port), "-l", log.path]
        if let token = options.token { arguments += ["--auth", token] }
        if let user = options.user { arguments += ["--user", user, "--pass", options.password ?? ""] }
        if let storeDirectory { arguments += ["-js", "-sd", storeDirectory] }
        if let clusterPort {
            arguments += ["--cluster", "nats://127.0.0.1:\(clusterPort)", "--cluster_name", "oaas-test"]
            if !options.routes.isEmpty {
                arguments += ["--routes", options.routes.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")]
            }
        }
        arguments += options.extraArguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        NATSServerRegistry.add(process.processIdentifier)

        let deadline = Date().addingTimeInterval(10)
        var text = ""
        while true {
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let client = Self.listeningPort(in: text, after: "Listening for client connections on ")
            let route = Self.listeningPort(in: text, after: "Listening for route connections on ")
            if let client, clusterPort == nil || route != nil {
                currentPort = client
                currentClusterPort = route
                self.process = process
                watchdog = Self.startWatchdog(for: process.processIdentifier)
                return
            }
            if !process.isRunning || Date() >= deadline {
                if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                NATSServerRegistry.remove(process.processIdentifier)
                let why = process.isRunning ? "was not ready within 10 seconds" : "exited with status \(process.terminationStatus)"
                throw NATSServerProcessError(message: "nats-server \(arguments.joined(separator: " ")) \(why); log:\n\(text)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    private static func listeningPort(in log: String, after marker: String) -> Int? {
        guard let range = log.range(of: marker) else { return nil }
        let address = log[range.upperBound...].prefix { !$0.isWhitespace }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return Int(address[address.index(after: colon)...])
    }

    /// A shell that kills the server if this process dies first, and exits with the server.
    private static func startWatchdog(for pid: Int32) -> Process? {
        let parent = getpid()
        let script = "while kill -0 \(pid) 2>/dev/null; do kill -0 \(parent) 2>/dev/null || { kill -9 \(pid); exit 0; }; sleep 0.5; done"
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", script]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        return (try? watchdog.run()) != nil ? watchdog : nil
    }

    private static func findExecutable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let configured = environment["NATS_SERVER"], !configured.isEmpty { candidates.append(configured) }
        candidates += ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/nats-server")
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw NATSServerProcessError(message: "nats-server is not installed (apt-get install nats-server, or set NATS_SERVER)")
    }
}

/// The servers still running, for the exit handler.
private enum NATSServerRegistry {
    nonisolated(unsafe) static var pids: Set<Int32> = []
    static let lock = NSLock()
    nonisolated(unsafe) static var handlerInstalled = false

    static func add(_ pid: Int32) { lock.withLock { _ = pids.insert(pid) } }
    static func remove(_ pid: Int32) { lock.withLock { _ = pids.remove(pid) } }

    static func installExitHandler() {
        lock.withLock {
            guard !handlerInstalled else { return }
            handlerInstalled = true
            atexit {
                NATSServerRegistry.lock.withLock {
                    for pid in NATSServerRegistry.pids { _ = kill(pid, SIGKILL) }
                }
            }
        }
    }
}
