#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The JetStream stream API requests a key-value bucket makes besides reads and writes:
/// create the stream, look it up (with its subjects, for listing keys), and get a message
/// the slow way when the stream does not allow direct gets.
///
/// Foundation's JSON is fine here: these run when a bucket opens, when keys are listed, and
/// for streams made without direct gets, never per object call on a bucket this package
/// made. Pure; any thread.
enum JetStreamStreamAPI {
    /// `$JS.API.STREAM.CREATE.<stream>`'s request: the stream of a key-value bucket as
    /// JetStream's own key-value clients make it (one subject tree, a per-subject limit,
    /// discard new, rollups allowed, deletes through markers only, direct gets).
    static func createRequest(for options: KVBucketOptions) -> [UInt8] {
        let config = StreamConfig(
            name: streamName(options.bucket), subjects: [subjectPrefix(options.bucket) + ">"],
            retention: "limits", maxConsumers: -1, maxMessages: -1, maxBytes: -1, maxAge: 0,
            maxMessagesPerSubject: KVBucketOptions.history, maxMessageSize: options.maxValueSize ?? -1,
            storage: "file", discard: "new", replicas: options.replicas,
            duplicateWindow: 120_000_000_000, allowRollup: true, denyDelete: true, denyPurge: false, allowDirect: true)
        // Encoding a struct of strings and numbers cannot fail.
        return Array((try? JSONEncoder().encode(config)) ?? Data())
    }

    /// `$JS.API.STREAM.INFO.<stream>`'s request, listing subjects under `filter` from
    /// `offset` on (the server sends at most 100,000 per reply).
    static func infoRequest(subjectsFilter filter: String?, offset: Int) -> [UInt8] {
        guard let filter else { return [] }
        struct Request: Encodable {
            let subjects_filter: String
            let offset: Int
        }
        return Array((try? JSONEncoder().encode(Request(subjects_filter: filter, offset: offset))) ?? Data())
    }

    /// `$JS.API.STREAM.MSG.GET.<stream>`'s request for the last message of `subject`.
    static func lastMessageRequest(subject: String) -> [UInt8] {
        struct Request: Encodable { let last_by_subj: String }
        return Array((try? JSONEncoder().encode(Request(last_by_subj: subject))) ?? Data())
    }

    static func streamName(_ bucket: String) -> String { "KV_" + bucket }
    static func subjectPrefix(_ bucket: String) -> String { "$KV." + bucket + "." }

    // MARK: Replies

    /// What a stream info or create reply says.
    struct StreamInfo: Equatable {
        var name: String
        var subjects: [String]
        var maxMessagesPerSubject: Int
        var maxMessageSize: Int
        var allowDirect: Bool
        /// Subjects with messages, and how many each has (only when asked with a filter).
        var subjectCounts: [String: UInt64]
        /// Subjects matching the filter in all pages, and where this page starts.
        var total: Int
        var offset: Int
    }

    /// Reads a stream info (or create) reply.
    /// - Throws: ``KVError``: `.bucketNotFound` for JetStream's "stream not found", `.api` for
    ///   its other errors, `.malformedReply` for anything that is not such a reply.
    static func streamInfo(from payload: [UInt8]) throws(KVError) -> StreamInfo {
        try streamInfo(decode(StreamInfoReply.self, payload, what: "stream info"), payload)
    }

    /// Reads a stream create reply: the stream, or nil for "stream name already in use",
    /// which means it exists with another configuration (or a racing client made it first).
    /// - Throws: as ``streamInfo(from:)``.
    static func createdStream(from payload: [UInt8]) throws(KVError) -> StreamInfo? {
        let reply = try decode(StreamInfoReply.self, payload, what: "stream create")
        if reply.error?.err_code == JetStreamAPIError.Number.streamNameInUse { return nil }
        return try streamInfo(reply, payload)
    }

    private static func streamInfo(_ reply: StreamInfoReply, _ payload: [UInt8]) throws(KVError) -> StreamInfo {
        if let error = reply.error { throw error.apiError.kvError }
        guard let config = reply.config, let name = config.name else {
            throw KVError(.malformedReply("stream info without a config and name: \(JetStreamPublishAck.quote(payload))"))
        }
        return StreamInfo(name: name, subjects: config.subjects ?? [], maxMessagesPerSubject: config.max_msgs_per_subject ?? -1,
                          maxMessageSize: config.max_msg_size ?? -1, allowDirect: config.allow_direct ?? false,
                          subjectCounts: reply.state?.subjects ?? [:], total: reply.total ?? 0, offset: reply.offset ?? 0)
    }

    /// Reads a stream message get reply into the entry it carries (nil for "no message
    /// found"). The message's headers and data arrive base64-encoded.
    /// - Throws: ``KVError`` as ``KVDirectGetReply/entry(from:key:subject:)`` does, and
    ///   `.malformedReply` for bad base64 or a header block that does not parse.
    static func entry(fromMessageGet payload: [UInt8], key: String, subject: String) throws(KVError) -> KVEntry? {
        let reply: MessageGetReply = try decode(MessageGetReply.self, payload, what: "stream message get")
        if let error = reply.error {
            if error.err_code == JetStreamAPIError.Number.noMessageFound { return nil }
            throw error.apiError.kvError
        }
        guard let message = reply.message else {
            throw KVError(.malformedReply("stream message get without a message: \(JetStreamPublishAck.quote(payload))"))
        }
        guard let sequence = message.seq, sequence > 0 else {
            throw KVError(.malformedReply("stream message get of \(subject) without a positive seq"))
        }
        if let replySubject = message.subject, replySubject != subject {
            throw KVError(.malformedReply("stream message get of \(subject) answered with a message of \(replySubject)"))
        }
        var headers: [NATSHeader] = []
        if let encoded = message.hdrs, !encoded.isEmpty {
            guard let block = Data(base64Encoded: encoded) else {
                throw KVError(.malformedReply("stream message get of \(subject) with headers that are not base64"))
            }
            do throws(NATSProtocolError) {
                headers = try Self.headerFields(Array(block))
            } catch {
                throw KVError(.malformedReply("stream message get of \(subject): \(error.reason)"))
            }
        }
        var value: [UInt8] = []
        if let encoded = message.data, !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded) else {
                throw KVError(.malformedReply("stream message get of \(subject) with data that is not base64"))
            }
            value = Array(data)
        }
        let operation = try KVDirectGetReply.operation(headers.first { NATSHeader.namesMatch($0.name, "KV-Operation") }?.value, subject: subject)
        return KVEntry(key: key, revision: sequence, operation: operation, value: operation == .put ? value : [],
                       headers: KVDirectGetReply.writerHeaders(headers))
    }

    private static func headerFields(_ block: [UInt8]) throws(NATSProtocolError) -> [NATSHeader] {
        let parsed = block.withUnsafeBytes { raw -> Result<NATSHeaderBlock, NATSProtocolError> in
            do throws(NATSProtocolError) { return .success(try NATSHeaderBlock(raw)) } catch { return .failure(error) }
        }
        return try parsed.get().fields
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ payload: [UInt8], what: String) throws(KVError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(payload))
        } catch {
            throw KVError(.malformedReply("\(what) is not the JSON JetStream sends (\(error)): \(JetStreamPublishAck.quote(payload))"))
        }
    }

    // MARK: Wire shapes (field names as JetStream spells them)

    private struct StreamConfig: Encodable {
        let name: String
        let subjects: [String]
        let retention: String
        let maxConsumers: Int
        let maxMessages: Int
        let maxBytes: Int
        let maxAge: Int
        let maxMessagesPerSubject: Int
        let maxMessageSize: Int
        let storage: String
        let discard: String
        let replicas: Int
        let duplicateWindow: Int
        let allowRollup: Bool
        let denyDelete: Bool
        let denyPurge: Bool
        let allowDirect: Bool

        enum CodingKeys: String, CodingKey {
            case name, subjects, retention, storage, discard
            case maxConsumers = "max_consumers"
            case maxMessages = "max_msgs"
            case maxBytes = "max_bytes"
            case maxAge = "max_age"
            case maxMessagesPerSubject = "max_msgs_per_subject"
            case maxMessageSize = "max_msg_size"
            case replicas = "num_replicas"
            case duplicateWindow = "duplicate_window"
            case allowRollup = "allow_rollup_hdrs"
            case denyDelete = "deny_delete"
            case denyPurge = "deny_purge"
            case allowDirect = "allow_direct"
        }
    }

    private struct WireError: Decodable {
        let code: Int?
        let err_code: Int?
        let description: String?

        var apiError: JetStreamAPIError {
            JetStreamAPIError(code: code ?? 0, errorCode: err_code ?? 0, description: description ?? "")
        }
    }

    private struct StreamInfoReply: Decodable {
        struct Config: Decodable {
            let name: String?
            let subjects: [String]?
            let max_msgs_per_subject: Int?
            let max_msg_size: Int?
            let allow_direct: Bool?
        }
        struct State: Decodable {
            let subjects: [String: UInt64]?
        }
        let error: WireError?
        let config: Config?
        let state: State?
        let total: Int?
        let offset: Int?
    }

    private struct MessageGetReply: Decodable {
        struct Message: Decodable {
            let subject: String?
            let seq: UInt64?
            let hdrs: String?
            let data: String?
        }
        let error: WireError?
        let message: Message?
    }
}
