#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a NATS server says about itself in `INFO`: who it is, what it supports, its limits,
/// and the other servers of its cluster.
///
/// A plain value; any thread.
struct NATSServerInfo: Equatable {
    /// The server's unique id (`server_id`).
    var serverID = ""
    /// Its configured name (`server_name`), if it sent one.
    var serverName: String?
    /// The server's version (`version`), e.g. `2.10.7`.
    var version: String?
    /// The protocol level (`proto`): 1 or more means the server sends cluster updates in
    /// `INFO` and understands the features this client asks for.
    var proto = 0
    /// Whether the server accepts `HPUB` and may send `HMSG` (`headers`).
    var headers = false
    /// The largest message the server accepts, headers included (`max_payload`).
    var maxPayload = NATSServerInfo.defaultMaxPayload
    /// Whether `CONNECT` must carry credentials (`auth_required`).
    var authRequired = false
    /// Whether the server insists on TLS (`tls_required`); this client cannot connect then.
    var tlsRequired = false
    /// Other servers of the cluster a client may reconnect to (`connect_urls`), as
    /// `host:port` without a scheme.
    var connectURLs: [String] = []
    /// A challenge to sign for nkey authentication (`nonce`).
    var nonce: String?
    /// The server's id for this connection (`client_id`).
    var clientID: UInt64?
    /// The server is shutting down gracefully (`ldm`): reconnect elsewhere soon.
    var lameDuckMode = false

    /// The server's default `max_payload`, used when `INFO` does not say.
    static let defaultMaxPayload = 1 << 20
}

extension NATSServerInfo {
    /// Reads the JSON object that follows `INFO `. Unknown fields are ignored, so newer
    /// servers keep working; a missing `max_payload` means the server default of 1 MiB and
    /// a missing `server_id` an empty one.
    ///
    /// Foundation's decoder is fine here: `INFO` arrives once per connection and on cluster
    /// changes, never per message.
    /// - Throws: ``NATSProtocolError`` when the bytes are not a JSON object, a known field
    ///   has the wrong type, or `max_payload` is not positive.
    init(json: [UInt8]) throws(NATSProtocolError) {
        let wire: WireInfo
        do {
            wire = try JSONDecoder().decode(WireInfo.self, from: Data(json))
        } catch let error as DecodingError {
            throw NATSProtocolError("INFO is not a valid server description: \(Self.explain(error))")
        } catch {
            throw NATSProtocolError("INFO is not a valid server description: \(error)")
        }
        if let maxPayload = wire.max_payload, maxPayload <= 0 {
            throw NATSProtocolError("INFO announces a max_payload of \(maxPayload) bytes")
        }
        if let clientID = wire.client_id, clientID < 0 {
            throw NATSProtocolError("INFO announces a negative client_id \(clientID)")
        }
        self.init(
            serverID: wire.server_id ?? "",
            serverName: wire.server_name,
            version: wire.version,
            proto: wire.proto ?? 0,
            headers: wire.headers ?? false,
            maxPayload: wire.max_payload ?? Self.defaultMaxPayload,
            authRequired: wire.auth_required ?? false,
            tlsRequired: wire.tls_required ?? false,
            connectURLs: wire.connect_urls ?? [],
            nonce: wire.nonce,
            clientID: wire.client_id.map(UInt64.init),
            lameDuckMode: wire.ldm ?? false
        )
    }

    /// The decoder's own descriptions are long and name internal types; a person needs the
    /// field and what was wrong with it.
    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "the document" : "field \(keys)"
        }
        switch error {
        case .typeMismatch(_, let context): return "\(path(context)) has the wrong type"
        case .valueNotFound(_, let context): return "\(path(context)) is null"
        case .keyNotFound(let key, _): return "field \(key.stringValue) is missing"
        case .dataCorrupted(let context):
            // Syntax errors and out-of-range numbers land here, not always with a path.
            let detail = context.debugDescription
            return context.codingPath.isEmpty ? detail : "\(path(context)) is invalid: \(detail)"
        @unknown default: return "\(error)"
        }
    }
}

/// The `INFO` fields this client uses, spelled as the server sends them. Every field is
/// optional: servers of other versions leave some out. A plain value, inside the decoder.
private struct WireInfo: Decodable {
    var server_id: String?
    var server_name: String?
    var version: String?
    var proto: Int?
    var headers: Bool?
    var max_payload: Int?
    var auth_required: Bool?
    var tls_required: Bool?
    var connect_urls: [String]?
    var nonce: String?
    // Signed on purpose: the decoder reports a negative number for an unsigned field as
    // "not valid JSON", which would hide what was wrong.
    var client_id: Int?
    var ldm: Bool?
}
