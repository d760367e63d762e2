/// Counters a server keeps, for operators and tests. Loop-confined value.
public struct GRPCServerStats: Sendable, Equatable {
    /// Calls that ended with each status, indexed by `GRPCStatus.Code.rawValue`.
    public internal(set) var statusCounts = [Int](repeating: 0, count: GRPCStatus.Code.allCases.count)
    /// Calls dispatched to a handler.
    public internal(set) var callsStarted = 0
    /// Connections accepted and served.
    public internal(set) var connectionsAccepted = 0
    /// Connections turned away because `maxConnections` were open.
    public internal(set) var connectionsRefused = 0
    /// Connections ended for a protocol violation (bad preface, malformed frames).
    public internal(set) var protocolErrors = 0
    /// Connections ended for a flood (resets, pings, settings).
    public internal(set) var floodsDetected = 0
    /// Requests refused at the HTTP level (415 wrong content-type, 405 wrong method).
    public internal(set) var httpRejections = 0

    /// Calls that ended with `code`.
    public func count(of code: GRPCStatus.Code) -> Int { statusCounts[code.rawValue] }
}
