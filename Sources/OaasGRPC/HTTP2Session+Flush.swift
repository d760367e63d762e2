import OaasHTTP2
import OaasLoop

/// How handing a session's queued output to its connection went.
public enum HTTP2FlushOutcome: Sendable, Equatable {
    /// Everything queued went to the connection, or writing paused at its high-water mark.
    case written
    /// nghttp2 could not serialize its frames: the connection must close.
    case sessionFailed
    /// The connection refused a chunk that nghttp2 already counts as sent, so the byte stream
    /// has a hole: the connection must close.
    case writeFailed
}

extension HTTP2Session {
    /// Writes queued frames to `tcp` until none are left or `tcp` stops being writable (the
    /// rest stays queued in nghttp2 until the next flush). Loop thread only.
    public func flush(into tcp: TCPConnection) -> HTTP2FlushOutcome {
        var writeFailed = false
        do {
            try drainOutput { chunk in
                do {
                    try tcp.write(chunk)
                } catch {
                    writeFailed = true
                    return false
                }
                return tcp.isWritable
            }
        } catch {
            return .sessionFailed
        }
        return writeFailed ? .writeFailed : .written
    }
}
