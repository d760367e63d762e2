import OaasLoop

// Listing keys: the stream's subjects under a prefix (stream info with a subjects filter,
// paged), then a read of each to leave out deleted ones. Loop thread only.
extension JetStreamKeyValue {
    /// Reads in flight at once while checking which listed keys are live.
    static let keyCheckWindow = 64

    /// Lists the live keys (not deleted or purged) under `prefix`, sorted.
    ///
    /// Works on nats-server 2.9: `$JS.API.STREAM.INFO.KV_<bucket>` with a `subjects_filter`
    /// lists every subject with a message (up to 100,000 per reply; further pages by
    /// `offset`). A deleted key still has its marker, so each listed key is then read (direct
    /// gets, ``keyCheckWindow`` at a time) and kept only if its last write is a put. The cost
    /// is one read per key under the prefix: meant for administration and recovery, not for
    /// per-call use.
    ///
    /// - Parameters:
    ///   - prefix: whole leading tokens of the keys to list: `o.math=2ECalculator` lists
    ///     `o.math=2ECalculator.<anything>` (not the key `o.math=2ECalculator` itself); nil
    ///     lists every key.
    ///   - completion: runs once on the loop thread with the keys, or the first failure:
    ///     `.invalidKey` at once for a prefix that breaks the key rules; `.bucketNotFound`;
    ///     `.unavailable`; `.timedOut` (each request has the bucket's timeout).
    /// Loop thread only.
    public func keys(prefix: String?, completion: @escaping (Result<[String], KVError>) -> Void) {
        loop.preconditionInLoop()
        if case .failure(let error) = binding { return completion(.failure(error)) }
        if let prefix, !KVKeyRules.isValidKey(prefix) {
            return completion(.failure(KVError(.invalidKey(KVKeyRules.problem(with: prefix, what: "key prefix")))))
        }
        let filter = subjectPrefix + (prefix.map { $0 + ".>" } ?? ">")
        listSubjects(filter: filter, found: []) { [self] result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let subjects):
                let candidates = subjects.compactMap { subject -> String? in
                    guard subject.hasPrefix(subjectPrefix) else { return nil }
                    return String(subject.dropFirst(subjectPrefix.count))
                }.sorted()
                keepLiveKeys(candidates, completion: completion)
            }
        }
    }

    /// Collects the subjects under `filter`, a page at a time.
    private func listSubjects(filter: String, found: Set<String>, completion: @escaping (Result<Set<String>, KVError>) -> Void) {
        let request = JetStreamStreamAPI.infoRequest(subjectsFilter: filter, offset: found.count)
        client.request(subject: infoSubject, payload: request, timeout: options.timeout) { [self] result in
            let info: JetStreamStreamAPI.StreamInfo
            do throws(KVError) {
                info = try JetStreamStreamAPI.streamInfo(from: apiPayload(result, subject: infoSubject).get())
            } catch {
                return completion(.failure(error))
            }
            var all = found
            all.formUnion(info.subjectCounts.keys)
            // A page that adds nothing ends the listing too, so a server that ignored the
            // offset could not keep us asking forever.
            if all.count >= info.total || all.count == found.count {
                completion(.success(all))
            } else {
                listSubjects(filter: filter, found: all, completion: completion)
            }
        }
    }

    /// Reads each candidate, a window at a time, and keeps those whose last write is a put.
    private func keepLiveKeys(_ candidates: [String], completion: @escaping (Result<[String], KVError>) -> Void) {
        let sweep = LiveKeySweep(candidates: candidates, completion: completion)
        for _ in 0..<min(Self.keyCheckWindow, candidates.count) { readNext(sweep) }
        if candidates.isEmpty { sweep.finish(.success([])) }
    }

    private func readNext(_ sweep: LiveKeySweep) {
        guard let (index, key) = sweep.take() else { return }
        get(key) { [self] result in
            switch result {
            case .failure(let error):
                sweep.finish(.failure(error))
            case .success(let entry):
                sweep.record(index, isLive: entry?.operation == .put)
                if sweep.isDone {
                    sweep.finish(.success(sweep.liveKeys))
                } else {
                    readNext(sweep)
                }
            }
        }
    }
}

/// The state of one ``JetStreamKeyValue/keys(prefix:completion:)`` check of candidates:
/// which are taken, which answered, which are live. Loop-confined with its bucket.
private final class LiveKeySweep {
    private let candidates: [String]
    private var live: [Bool]
    private var next = 0
    private var answered = 0
    private var completion: ((Result<[String], KVError>) -> Void)?

    init(candidates: [String], completion: @escaping (Result<[String], KVError>) -> Void) {
        self.candidates = candidates
        live = Array(repeating: false, count: candidates.count)
        self.completion = completion
    }

    /// The next candidate to read, unless all are taken or the sweep ended.
    func take() -> (Int, String)? {
        guard completion != nil, next < candidates.count else { return nil }
        defer { next += 1 }
        return (next, candidates[next])
    }

    func record(_ index: Int, isLive: Bool) {
        live[index] = isLive
        answered += 1
    }

    var isDone: Bool { answered == candidates.count }

    /// The live candidates, in the candidates' (sorted) order.
    var liveKeys: [String] {
        zip(candidates, live).compactMap { $1 ? $0 : nil }
    }

    /// Ends the sweep once: later answers (after a failure) are ignored.
    func finish(_ result: Result<[String], KVError>) {
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }
}
