import OaasHTTP2
import Testing

@Suite("nghttp2 system library")
struct HTTP2LibraryTests {
    @Test("the linked nghttp2 is found through pkg-config and is at least Debian 12's 1.52")
    func linkedVersion() {
        let parts = HTTP2Library.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3, "unexpected version string '\(HTTP2Library.version)'")
        #expect(parts.lexicographicallyPrecedes([1, 52, 0]) == false)
        #expect(HTTP2Library.isSupportedVersion)
    }
}
