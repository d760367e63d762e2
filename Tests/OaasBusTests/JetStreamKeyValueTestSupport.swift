@testable import OaasBus
import OaasLoop
import OaasTesting

/// A ``JetStreamKeyValue`` on a test's loop, with async wrappers for its calls. Any thread:
/// every wrapper hops onto the loop.
struct TestBucket: Sendable {
    let client: TestClient
    let box: LoopBox<JetStreamKeyValue>
    var loop: EventLoop { client.loop }

    /// A bucket handle over `client` (not opened).
    static func make(_ client: TestClient, bucket: String = "objects",
                     configure: @Sendable (inout KVBucketOptions) -> Void = { _ in }) async throws -> TestBucket {
        var options = KVBucketOptions(bucket: bucket)
        configure(&options)
        let made = options
        let box: LoopBox<JetStreamKeyValue> = try await onLoop(client.loop) { finish in
            finish(LoopBox(client.loop, try JetStreamKeyValue(client: client.box.value, options: made)))
        }
        return TestBucket(client: client, box: box)
    }

    /// A bucket handle, opened; fails the test if it cannot open.
    static func opened(_ client: TestClient, bucket: String = "objects",
                       configure: @Sendable (inout KVBucketOptions) -> Void = { _ in }) async throws -> TestBucket {
        let bucket = try await make(client, bucket: bucket, configure: configure)
        try await bucket.open().get()
        return bucket
    }

    func open() async throws -> Result<Void, KVError> {
        try await onLoop(loop) { finish in box.value.open { finish($0) } }
    }

    func get(_ key: String) async throws -> Result<KVEntry?, KVError> {
        try await onLoop(loop) { finish in box.value.get(key) { finish($0) } }
    }

    func update(_ key: String, _ value: [UInt8], headers: [NATSHeader] = [], expected: UInt64) async throws -> Result<UInt64, KVError> {
        try await onLoop(loop) { finish in
            box.value.update(key, value: value, headers: headers, expectedRevision: expected) { finish($0) }
        }
    }

    func delete(_ key: String, expected: UInt64?) async throws -> Result<UInt64, KVError> {
        try await onLoop(loop) { finish in box.value.delete(key, expectedRevision: expected) { finish($0) } }
    }

    func keys(_ prefix: String?) async throws -> Result<[String], KVError> {
        try await onLoop(loop) { finish in box.value.keys(prefix: prefix) { finish($0) } }
    }
}

extension KVError.Kind {
    /// Whether a request failed for want of a server (what a dead server produces).
    var isOutage: Bool {
        switch self {
        case .timedOut, .unavailable: true
        case .wrongLastSequence, .payloadTooLarge, .invalidKey, .invalidHeader, .invalidOptions, .bucketNotFound,
             .incompatibleStream, .api, .malformedReply: false
        }
    }
}
