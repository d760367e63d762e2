internal import CNGHTTP2

/// nghttp2's C callbacks. Each finds its session through nghttp2's user data (unretained: the
/// session owns the nghttp2 object, and callbacks only run inside its own calls).
extension HTTP2Session {
    /// Runs `body` with the session behind nghttp2's user data, borrowed without a
    /// retain/release pair: callbacks run only inside the session's own calls, so it is alive.
    @inline(__always)
    static func with<R>(_ userData: UnsafeMutableRawPointer?, _ body: (HTTP2Session) -> R) -> R {
        Unmanaged<HTTP2Session>.fromOpaque(userData!)._withUnsafeGuaranteedRef(body)
    }

    static let readBodyCallback: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        HTTP2Session.with(userData) { $0.readBody(streamID: streamID, into: buffer!, length: length, flags: flags!) }
    }

    static func installCallbacks(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            let category = oaas_frame_headers_category(frame!)
            let isTrailers = category == Int32(NGHTTP2_HCAT_HEADERS.rawValue)
            HTTP2Session.with(userData) { $0.delegate?.http2StreamHeadersBegan(oaas_frame_stream_id(frame!), isTrailers: isTrailers) }
            return 0
        }

        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            HTTP2Session.with(userData) { session in
                session.delegate?.http2Header(
                    oaas_frame_stream_id(frame!),
                    name: UnsafeRawBufferPointer(start: name, count: nameLength),
                    value: UnsafeRawBufferPointer(start: value, count: valueLength))
            }
            return 0
        }

        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            HTTP2Session.with(userData) { $0.frameReceived(frame!) }
            return 0
        }

        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            HTTP2Session.with(userData) { $0.delegate?.http2Data(streamID, bytes: UnsafeRawBufferPointer(start: data, count: length)) }
            return 0
        }

        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            HTTP2Session.with(userData) { session in
                session.releaseBody(of: streamID)
                session.delegate?.http2StreamClosed(streamID, errorCode: errorCode)
            }
            return 0
        }

        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            HTTP2Session.with(userData) { $0.frameSent(frame!) }
            return 0
        }
    }

    func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let type = UInt32(oaas_frame_type(frame))
        let flags = UInt32(oaas_frame_flags(frame))
        let streamID = oaas_frame_stream_id(frame)
        let endStream = flags & NGHTTP2_FLAG_END_STREAM.rawValue != 0
        switch type {
        case NGHTTP2_HEADERS.rawValue:
            let isTrailers = oaas_frame_headers_category(frame) == Int32(NGHTTP2_HCAT_HEADERS.rawValue)
            delegate?.http2StreamHeadersEnded(streamID, isTrailers: isTrailers, endStream: endStream)
        case NGHTTP2_DATA.rawValue:
            if endStream { delegate?.http2StreamRemoteEnded(streamID) }
        case NGHTTP2_RST_STREAM.rawValue:
            delegate?.http2ResetReceived(streamID, errorCode: oaas_frame_rst_error_code(frame))
        case NGHTTP2_PING.rawValue:
            if flags & NGHTTP2_FLAG_ACK.rawValue != 0 {
                var payload: UInt64 = 0
                withUnsafeMutableBytes(of: &payload) { $0.copyMemory(from: UnsafeRawBufferPointer(start: oaas_frame_ping_data(frame), count: 8)) }
                delegate?.http2PingAcknowledged(payload: UInt64(bigEndian: payload))
            } else {
                delegate?.http2PingReceived()
            }
        case NGHTTP2_SETTINGS.rawValue:
            if flags & NGHTTP2_FLAG_ACK.rawValue == 0 { delegate?.http2SettingsReceived() }
        case NGHTTP2_GOAWAY.rawValue:
            delegate?.http2GoAwayReceived(
                lastStreamID: oaas_frame_goaway_last_stream_id(frame),
                errorCode: oaas_frame_goaway_error_code(frame),
                debugData: UnsafeRawBufferPointer(start: oaas_frame_goaway_debug(frame),
                                                  count: oaas_frame_goaway_debug_length(frame)))
        default:
            break
        }
    }

    /// A server that ends its response before the client finished sending follows it with
    /// RST_STREAM(NO_ERROR), so the client stops sending a body nobody will read.
    func frameSent(_ frame: UnsafePointer<nghttp2_frame>) {
        guard role == .server else { return }
        let type = UInt32(oaas_frame_type(frame))
        guard type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue,
              UInt32(oaas_frame_flags(frame)) & NGHTTP2_FLAG_END_STREAM.rawValue != 0 else { return }
        let streamID = oaas_frame_stream_id(frame)
        if !isRemoteClosed(streamID: streamID) {
            reset(streamID: streamID, code: .noError)
        }
    }
}
