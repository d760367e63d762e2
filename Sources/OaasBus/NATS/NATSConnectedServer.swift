/// What a ``NATSClient`` knows about the server it is (or was last) connected to. Any thread.
public struct NATSConnectedServer: Equatable, Sendable, CustomStringConvertible {
    /// `host:port` the client connected to.
    public var address: String
    /// The server's id, from its INFO.
    public var serverID: String
    /// The server's name, if it gave one.
    public var serverName: String?
    /// The server's version, if it gave one.
    public var version: String?
    /// The largest payload the server accepts (`max_payload`).
    public var maxPayload: Int

    public init(address: String, serverID: String, serverName: String?, version: String?, maxPayload: Int) {
        self.address = address
        self.serverID = serverID
        self.serverName = serverName
        self.version = version
        self.maxPayload = maxPayload
    }

    public var description: String {
        "\(address) (\(serverName ?? serverID)\(version.map { ", v\($0)" } ?? ""), max_payload \(maxPayload))"
    }
}
