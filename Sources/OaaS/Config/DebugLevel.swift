import Logging

/// How much the runtime logs, as the design's debug levels: `none` silences it, `trace` shows
/// every call. Maps onto swift-log levels. Any thread.
public enum DebugLevel: String, Sendable, CaseIterable {
    case none, error, warning, info, debug, trace

    /// The swift-log level, or `nil` for `none`.
    public var loggerLevel: Logger.Level? {
        switch self {
        case .none: nil
        case .error: .error
        case .warning: .warning
        case .info: .info
        case .debug: .debug
        case .trace: .trace
        }
    }
}
