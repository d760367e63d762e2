/// How a ``JetStreamKeyValue`` bucket is made and used.
///
/// Buckets this type creates always keep one value per key (history 1) in file storage, so
/// the stream is the object store's durable state and a read is always of the latest write.
/// A plain value; any thread.
public struct KVBucketOptions: Sendable {
    /// The bucket's name: its stream is `KV_<bucket>`, its subjects `$KV.<bucket>.>`.
    /// Letters, digits, `-` and `_`.
    public var bucket: String
    /// Copies of the stream in a JetStream cluster (1 to 5); used when creating it.
    public var replicas: Int
    /// The largest value (header fields included, as the server counts them) a write may
    /// carry; nil for the server's `max_payload` alone. Used when creating the stream (its
    /// `max_msg_size`) and checked before sending.
    public var maxValueSize: Int?
    /// How long each request to JetStream may take; an operation made of several requests
    /// (``JetStreamKeyValue/open(completion:)``, ``JetStreamKeyValue/keys(prefix:completion:)``)
    /// gives each this long.
    public var timeout: Duration

    /// Options for `bucket`. Any thread.
    public init(bucket: String, replicas: Int = 1, maxValueSize: Int? = nil, timeout: Duration = .seconds(2)) {
        self.bucket = bucket
        self.replicas = replicas
        self.maxValueSize = maxValueSize
        self.timeout = timeout
    }

    /// Messages kept per key. Fixed: the store reads only the latest.
    public static let history = 1

    /// Why these options cannot make a bucket, if they cannot.
    var problem: String? {
        if bucket.isEmpty || !bucket.utf8.allSatisfy(KVKeyRules.isBucketByte) {
            return "the bucket name \(String(reflecting: bucket)) must be letters, digits, '-' and '_'"
        }
        if !(1...5).contains(replicas) { return "replicas must be 1 to 5, not \(replicas)" }
        if let maxValueSize, maxValueSize < 1 { return "maxValueSize must be positive, not \(maxValueSize)" }
        if timeout <= .zero { return "timeout must be positive" }
        return nil
    }
}
