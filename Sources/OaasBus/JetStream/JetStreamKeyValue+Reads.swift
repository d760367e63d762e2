import OaasLoop

// Reading one key: the last message of its subject. Loop thread only.
extension JetStreamKeyValue {
    /// Reads `key`'s current entry.
    ///
    /// A direct get (`$JS.API.DIRECT.GET.KV_<bucket>.$KV.<bucket>.<key>`, no payload) when the
    /// stream allows it, else a stream message get (`$JS.API.STREAM.MSG.GET.KV_<bucket>` with
    /// `last_by_subj`).
    ///
    /// - Parameter completion: runs once on the loop thread with the entry; nil when the key
    ///   has never been written; a deleted key's entry has operation ``KVOperation/delete``
    ///   and the revision to compare-and-set against. Failures: `.invalidKey` at once;
    ///   `.unavailable` when the bucket is not open or JetStream cannot be reached;
    ///   `.timedOut`; `.malformedReply` for a reply without the JetStream headers.
    /// Loop thread only.
    public func get(_ key: String, completion: @escaping (Result<KVEntry?, KVError>) -> Void) {
        loop.preconditionInLoop()
        let binding: Binding
        switch self.binding {
        case .success(let bound): binding = bound
        case .failure(let error): return completion(.failure(error))
        }
        guard KVKeyRules.isValidKey(key) else { return completion(.failure(KVError(.invalidKey(KVKeyRules.problem(with: key))))) }
        guard binding.allowDirect else { return getByMessageGet(key, completion: completion) }
        let prefix = subjectPrefix
        client.request(subject: directGetPrefix + key, payload: [], timeout: options.timeout) { [directGetPrefix] result in
            switch result {
            case .success(let reply):
                do throws(KVError) {
                    completion(.success(try KVDirectGetReply.entry(from: reply, key: key, subjectPrefix: prefix)))
                } catch {
                    completion(.failure(error))
                }
            case .failure(let error):
                completion(.failure(KVError(error, subject: directGetPrefix + key)))
            }
        }
    }

    /// The read for streams without direct gets: a JSON request and reply.
    private func getByMessageGet(_ key: String, completion: @escaping (Result<KVEntry?, KVError>) -> Void) {
        let subject = subjectPrefix + key
        client.request(subject: messageGetSubject, payload: JetStreamStreamAPI.lastMessageRequest(subject: subject),
                       timeout: options.timeout) { [self] result in
            completion(apiPayload(result, subject: messageGetSubject).flatMap { payload in
                Result { () throws(KVError) in try JetStreamStreamAPI.entry(fromMessageGet: payload, key: key, subject: subject) }
            })
        }
    }
}
