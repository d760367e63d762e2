#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// Byte equality with a literal: a length check, then one `memcmp`. The generic
    /// `elementsEqual` over `String.UTF8View` costs several times more per header.
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        guard count > 0 else { return true }
        return memcmp(baseAddress!, literal.utf8Start, count) == 0
    }

    /// Whether these bytes begin with `literal`.
    @inline(__always)
    func hasPrefix(_ literal: StaticString) -> Bool {
        guard count >= literal.utf8CodeUnitCount else { return false }
        return memcmp(baseAddress!, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    /// Byte equality with a byte array.
    @inline(__always)
    func equals(_ bytes: [UInt8]) -> Bool {
        guard count == bytes.count else { return false }
        guard count > 0 else { return true }
        return bytes.withUnsafeBytes { memcmp(baseAddress!, $0.baseAddress!, count) == 0 }
    }
}
