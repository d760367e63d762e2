internal import CNGHTTP2

/// A header block built once, for headers that never change (`:status: 200`,
/// `grpc-status: 0`). nghttp2 is told not to copy it, so sending it costs no allocation and
/// no copy per response.
///
/// Its memory lives as long as the process: nghttp2 may still point at it from a queued frame
/// of any session, so it is never freed. Create these once (e.g. as `static let`).
/// Immutable after creation; any thread.
public final class HTTP2StaticHeaders: @unchecked Sendable {
    // @unchecked: the pointers are written once in init and only read afterwards.
    let fields: UnsafeMutablePointer<nghttp2_nv>
    let count: Int

    /// - Parameter pairs: lower-case names and their values.
    public init(_ pairs: [(name: String, value: String)]) {
        count = pairs.count
        fields = .allocate(capacity: max(1, pairs.count))
        let noCopy = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue)
        for (index, pair) in pairs.enumerated() {
            let name = Self.permanentBytes(pair.name)
            let value = Self.permanentBytes(pair.value)
            var field = oaas_make_nv(name.baseAddress, name.count, value.baseAddress, value.count)
            field.flags = noCopy
            fields[index] = field
        }
    }

    private static func permanentBytes(_ text: String) -> UnsafeBufferPointer<UInt8> {
        let bytes = Array(text.utf8)
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
        _ = storage.initialize(from: bytes)
        return UnsafeBufferPointer(rebasing: storage[0..<bytes.count])
    }
}
