internal import CNGHTTP2

/// Facts about the nghttp2 library this module is linked against.
///
/// The HTTP/2 sessions built on it arrive with the gRPC issue; this type proves the system
/// library target resolves, links and is the version the code is written for.
public enum HTTP2Library {
    /// The linked nghttp2 version, e.g. `1.52.0`. Any thread.
    public static var version: String { String(cString: oaas_nghttp2_version_string()) }

    /// The oldest nghttp2 this project supports (Debian 12's). Any thread.
    public static let minimumVersion = "1.52.0"

    /// Whether the linked library is at least `minimumVersion`. Any thread.
    public static var isSupportedVersion: Bool {
        // nghttp2_version returns NULL when the linked library is older than the argument.
        oaas_nghttp2_is_at_least(0x013400) != 0
    }
}
