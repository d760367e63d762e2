internal import CNGHTTP2

// Stored properties here are `@exclusivity(unchecked)`: the type is confined to its loop's
// thread, and no access to a property is held across a call that could touch it again, so the
// runtime's per-access exclusivity check (measured at about 16% of a request's instructions)
// guards nothing. The debug test suite ran with the checks on before they were turned off.

/// Collects header fields into one reusable byte buffer, then hands nghttp2 an array of
/// name/value pairs pointing into it. nghttp2 copies what it is given on submit, so the buffer
/// is reused for the next block: no allocation per request once it has grown.
///
/// Loop-confined.
public final class HTTP2HeaderBlock {
    @exclusivity(unchecked) private var bytes: [UInt8] = []
    @exclusivity(unchecked) private var spans: [(name: Range<Int>, value: Range<Int>)] = []
    @exclusivity(unchecked) private var fields: [nghttp2_nv] = []

    init() {
        bytes.reserveCapacity(512)
        spans.reserveCapacity(8)
        fields.reserveCapacity(8)
    }

    /// Adds one field. Names must be lower-case, as HTTP/2 requires.
    public func add(_ name: String, _ value: String) {
        let nameStart = bytes.count
        bytes.append(contentsOf: name.utf8)
        let valueStart = bytes.count
        bytes.append(contentsOf: value.utf8)
        spans.append((nameStart..<valueStart, valueStart..<bytes.count))
    }

    /// Adds one field whose value is raw bytes (e.g. already percent-encoded).
    public func add(_ name: String, bytes value: UnsafeRawBufferPointer) {
        let nameStart = bytes.count
        bytes.append(contentsOf: name.utf8)
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        spans.append((nameStart..<valueStart, valueStart..<bytes.count))
    }

    /// The number of fields added since the last reset.
    public var count: Int { spans.count }

    func reset() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with the fields as nghttp2 name/value pairs.
    func withFields<R>(_ body: (UnsafePointer<nghttp2_nv>?, Int) -> R) -> R {
        bytes.withUnsafeBufferPointer { storage in
            fields.removeAll(keepingCapacity: true)
            let base = storage.baseAddress
            for span in spans {
                fields.append(oaas_make_nv(base.map { $0 + span.name.lowerBound }, span.name.count,
                                           base.map { $0 + span.value.lowerBound }, span.value.count))
            }
            return fields.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
        }
    }
}
