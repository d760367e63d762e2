internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// One TCP connection, accepted by a `TCPListener` or opened with `connect`.
///
/// Reading: set `onRead`, then `startReading()`. Bytes arrive as a buffer that is valid only
/// during the callback (it is the loop's shared read buffer). `pauseReading()` /
/// `startReading()` give back-pressure: while paused, the kernel's buffers fill and the peer's
/// TCP window closes.
///
/// Writing: `write` copies the bytes into the connection's pending buffer; all the bytes
/// written during one loop turn go out in one `uv_write`. `bufferedByteCount` counts bytes not
/// yet handed to the kernel; `isWritable` turns false at `highWaterMark` and true again at
/// `lowWaterMark` (with `onWritabilityChanged` told each time), and a write that would pass
/// `maxBufferedBytes` is refused, so a peer that never reads cannot make memory grow without
/// bound.
///
/// Loop-confined: every member is for the loop thread only.
public final class TCPConnection: LoopHandle {
    /// What a read delivers.
    public enum ReadEvent {
        /// Bytes from the peer, valid only during the callback.
        case bytes(UnsafeRawBufferPointer)
        /// The peer half-closed its side; writing is still possible.
        case endOfStream
        /// Reading failed (e.g. `.connectionReset`); the connection then closes.
        case failed(LoopError)
    }

    /// Called for each read event.
    @exclusivity(unchecked) public var onRead: ((ReadEvent) -> Void)?
    /// Called with the new value whenever `isWritable` changes.
    @exclusivity(unchecked) public var onWritabilityChanged: ((Bool) -> Void)?
    /// Called once when the connection has closed, with the error that closed it, if any.
    @exclusivity(unchecked) public var onClose: ((LoopError?) -> Void)?

    /// Buffered bytes at which `isWritable` turns false.
    @exclusivity(unchecked) public var highWaterMark = 1 << 20
    /// Buffered bytes at which `isWritable` turns true again.
    @exclusivity(unchecked) public var lowWaterMark = 256 << 10
    /// Buffered bytes beyond which `write` throws `.writeBufferFull`.
    @exclusivity(unchecked) public var maxBufferedBytes = 16 << 20

    /// False from the high-water mark until the buffer drains to the low-water mark.
    @exclusivity(unchecked) public private(set) var isWritable = true
    /// Whether read callbacks are being delivered.
    @exclusivity(unchecked) public private(set) var isReading = false
    /// Whether the write side has been shut down (or is shutting down).
    @exclusivity(unchecked) public private(set) var isWriteSideShutDown = false
    /// Bytes accepted by `write` but not yet confirmed written to the kernel.
    public var bufferedByteCount: Int { pending.count + inFlight.count - inFlightOffset }
    /// Total bytes confirmed written to the kernel.
    @exclusivity(unchecked) public private(set) var bytesWritten = 0

    @exclusivity(unchecked) private var pending = WriteBuffer()
    @exclusivity(unchecked) private var inFlight = WriteBuffer()
    /// Bytes at the front of `inFlight` that `uv_try_write` already sent.
    @exclusivity(unchecked) private var inFlightOffset = 0
    @exclusivity(unchecked) private var writeInFlight = false
    @exclusivity(unchecked) private var flushScheduled = false
    @exclusivity(unchecked) private var shutdownCompletion: ((LoopError?) -> Void)?
    @exclusivity(unchecked) private var shutdownIssued = false
    @exclusivity(unchecked) private var closeReason: LoopError?
    private let writeRequest = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
    private let shutdownRequest = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)

    init(loop: EventLoop) throws(LoopError) {
        super.init(loop: loop, type: UV_TCP)
        let status = uv_tcp_init(loop.uvLoop, oaas_as_tcp(rawHandle))
        guard status == 0 else {
            discardUninitialisedHandle()
            writeRequest.deallocate()
            shutdownRequest.deallocate()
            throw LoopError(uv: status, operation: "uv_tcp_init")
        }
        adoptInitialisedHandle()
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { oaas_as_stream(rawHandle) }

    /// Disables Nagle's algorithm: small replies go out at once. Set on every connection.
    func disableNagle() {
        _ = uv_tcp_nodelay(oaas_as_tcp(rawHandle), 1)
    }

    /// The address of the other end, if the socket is connected.
    public var peerAddress: SocketAddress? {
        loop.preconditionInLoop()
        guard !isClosing else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(oaas_as_tcp(rawHandle), $0, &length) }
        }
        return status == 0 ? SocketAddress(storage: &storage) : nil
    }

    // MARK: Reading

    /// Starts (or resumes) delivering reads to `onRead`. Loop thread only.
    public func startReading() {
        loop.preconditionInLoop()
        guard !isClosing, !isReading else { return }
        let status = uv_read_start(stream, { handle, _, buffer in
            let loop = LoopHandle.owner(of: handle!, as: TCPConnection.self).loop
            buffer!.pointee = uv_buf_init(loop.sharedReadBuffer.baseAddress!.assumingMemoryBound(to: CChar.self),
                                          UInt32(loop.sharedReadBuffer.count))
        }, { stream, count, buffer in
            LoopHandle.owner(of: stream!, as: TCPConnection.self).didRead(count: count, buffer: buffer!)
        })
        if status < 0 {
            fail(LoopError(uv: status, operation: "start reading"))
        } else {
            isReading = true
        }
    }

    /// Stops delivering reads until `startReading()`; the peer is slowed by TCP flow control.
    /// Loop thread only.
    public func pauseReading() {
        loop.preconditionInLoop()
        guard !isClosing, isReading else { return }
        uv_read_stop(stream)
        isReading = false
    }

    private func didRead(count: Int, buffer: UnsafePointer<uv_buf_t>) {
        if count > 0 {
            onRead?(.bytes(UnsafeRawBufferPointer(start: buffer.pointee.base, count: count)))
        } else if count == Int(UV_EOF.rawValue) {
            // libuv stops reading by itself at end of stream.
            isReading = false
            onRead?(.endOfStream)
        } else if count < 0 {
            let error = LoopError(uv: Int32(count), operation: "read")
            isReading = false
            onRead?(.failed(error))
            fail(error)
        }
        // count == 0 is libuv's "nothing this time" (EAGAIN): nothing to report.
    }

    // MARK: Writing

    /// Queues bytes for this loop turn's write.
    ///
    /// - Throws: `.connectionClosed` after `close()` or `shutdownWrite()`; `.writeBufferFull`
    ///   if the bytes would take `bufferedByteCount` past `maxBufferedBytes` (nothing is queued).
    /// Loop thread only.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(LoopError) {
        loop.preconditionInLoop()
        guard !isClosing, !isWriteSideShutDown else { throw .connectionClosed("write") }
        guard bufferedByteCount + bytes.count <= maxBufferedBytes else {
            throw LoopError(code: .writeBufferFull, name: "WRITE_BUFFER_FULL",
                            message: "\(bufferedByteCount) bytes are waiting for the peer; \(bytes.count) more would pass the limit of \(maxBufferedBytes)",
                            operation: "write")
        }
        guard !bytes.isEmpty else { return }
        pending.append(bytes)
        if !flushScheduled, !writeInFlight {
            flushScheduled = true
            loop.scheduleFlush(self)
        }
        updateWritability()
    }

    /// Queues bytes for this loop turn's write; see `write(_: UnsafeRawBufferPointer)`.
    public func write(_ bytes: [UInt8]) throws(LoopError) {
        var failure: LoopError?
        bytes.withUnsafeBytes { buffer in
            do throws(LoopError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Hands the pending bytes to libuv in one write. Called by the loop's flush hooks.
    func flushPendingBytes() {
        flushScheduled = false
        guard !isClosing, !writeInFlight else { return }
        guard !pending.isEmpty else {
            shutdownIfDrained()
            return
        }
        // Try the kernel directly first: when the socket takes everything (the usual case),
        // no write request, completion callback or poll-mask change is needed.
        var whole = uv_buf_init(pending.base!.assumingMemoryBound(to: CChar.self), UInt32(pending.count))
        let written = uv_try_write(stream, &whole, 1)
        if written == Int32(pending.count) {
            bytesWritten += Int(written)
            pending.reset()
            updateWritability()
            shutdownIfDrained()
            return
        }
        if written < 0, written != UV_EAGAIN.rawValue {
            fail(LoopError(uv: written, operation: "write"))
            return
        }
        let alreadySent = max(0, Int(written))
        bytesWritten += alreadySent
        swap(&pending, &inFlight)
        inFlightOffset = alreadySent
        var buffer = uv_buf_init(inFlight.base!.assumingMemoryBound(to: CChar.self) + alreadySent,
                                 UInt32(inFlight.count - alreadySent))
        let status = uv_write(writeRequest, stream, &buffer, 1) { request, status in
            let connection = Unmanaged<TCPConnection>.fromOpaque(oaas_handle_data(request!.pointee.handle)!).takeUnretainedValue()
            connection.writeFinished(status: status)
        }
        if status < 0 {
            swap(&pending, &inFlight)
            inFlightOffset = 0
            fail(LoopError(uv: status, operation: "write"))
            return
        }
        writeInFlight = true
    }

    private func writeFinished(status: Int32) {
        writeInFlight = false
        if status < 0 {
            inFlight.reset()
            inFlightOffset = 0
            // A write cancelled by our own close is not news; any other failure closes.
            if !isClosing { fail(LoopError(uv: status, operation: "write")) }
            return
        }
        bytesWritten += inFlight.count - inFlightOffset
        inFlight.reset()
        inFlightOffset = 0
        if !pending.isEmpty, !flushScheduled {
            flushScheduled = true
            loop.scheduleFlush(self)
        } else {
            shutdownIfDrained()
        }
        updateWritability()
    }

    private func updateWritability() {
        let buffered = bufferedByteCount
        if isWritable, buffered >= highWaterMark {
            isWritable = false
            onWritabilityChanged?(false)
        } else if !isWritable, buffered <= lowWaterMark {
            isWritable = true
            onWritabilityChanged?(true)
        }
    }

    // MARK: Half-close and close

    /// Sends every byte already written, then shuts down the write side (a FIN to the peer).
    /// Reading goes on.
    ///
    /// - Parameter completion: runs on the loop thread when the shutdown is done, with an
    ///   error if it failed or the connection closed first.
    /// Loop thread only.
    public func shutdownWrite(completion: ((LoopError?) -> Void)? = nil) {
        loop.preconditionInLoop()
        guard !isClosing, !isWriteSideShutDown else {
            completion?(.connectionClosed("shutdown write"))
            return
        }
        isWriteSideShutDown = true
        shutdownCompletion = completion
        shutdownIfDrained()
    }

    private func shutdownIfDrained() {
        guard isWriteSideShutDown, !shutdownIssued, !writeInFlight, pending.isEmpty, !isClosing else { return }
        shutdownIssued = true
        let status = uv_shutdown(shutdownRequest, stream) { request, status in
            let connection = Unmanaged<TCPConnection>.fromOpaque(oaas_handle_data(request!.pointee.handle)!).takeUnretainedValue()
            connection.shutdownFinished(status: status)
        }
        if status < 0 { shutdownFinished(status: status) }
    }

    private func shutdownFinished(status: Int32) {
        let completion = shutdownCompletion
        shutdownCompletion = nil
        completion?(status < 0 ? LoopError(uv: status, operation: "shutdown write") : nil)
    }

    /// Closes the connection with a TCP reset instead of an orderly FIN. Loop thread only.
    public func resetAndClose() {
        loop.preconditionInLoop()
        beginClose(resettingTCP: true)
    }

    /// Records why the connection is closing and closes it.
    private func fail(_ error: LoopError) {
        if closeReason == nil { closeReason = error }
        close()
    }

    override func willClose() {
        isReading = false
        isWritable = false
    }

    override func didClose() {
        // libuv has run every write and shutdown callback (cancelled ones included) before the
        // close callback, so the requests are free to release now.
        writeRequest.deallocate()
        shutdownRequest.deallocate()
        pending.reset()
        inFlight.reset()
        let onClose = self.onClose
        let pendingShutdown = shutdownCompletion
        self.onRead = nil
        self.onWritabilityChanged = nil
        self.onClose = nil
        shutdownCompletion = nil
        pendingShutdown?(.connectionClosed("shutdown write"))
        onClose?(closeReason)
    }
}
