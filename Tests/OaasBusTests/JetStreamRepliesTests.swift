import Foundation
@testable import OaasBus
import Testing

/// The key-value bucket's reply readers, in memory: publish acks, API errors, direct gets,
/// stream info and message get, with the exact replies nats-server 2.9.10 sent and hostile
/// variants of them.
@Suite("JetStream replies")
struct JetStreamRepliesTests {
    // MARK: Publish acks

    @Test("acks as nats-server writes them, with extra fields")
    func acks() throws {
        #expect(try JetStreamPublishAck.parse(ascii(#"{"stream":"KV_t", "seq":1}"#)) == .stored(stream: "KV_t", sequence: 1))
        #expect(try JetStreamPublishAck.parse(ascii(#"{"stream":"KV_t","domain":"hub","seq":18446744073709551615,"duplicate":true}"#))
            == .stored(stream: "KV_t", sequence: .max))
        let refused = #"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 1"},"stream":"KV_t","seq":0}"#
        #expect(try JetStreamPublishAck.parse(ascii(refused))
            == .refused(JetStreamAPIError(code: 400, errorCode: 10071, description: "wrong last sequence: 1")))
        #expect(try JetStreamPublishAck.parse(ascii(#"{"error":{"code":503,"description":"x","extra":[1]}}"#))
            == .refused(JetStreamAPIError(code: 503, errorCode: 0, description: "x")))
    }

    @Test("malformed acks", arguments: [
        "", "garbage", "{}", #"{"stream":"KV_t"}"#, #"{"seq":3}"#, #"{"stream":"KV_t","seq":0}"#, #"{"stream":"KV_t","seq":-3}"#,
        #"{"stream":"KV_t","seq":"3"}"#, #"{"stream":3,"seq":3}"#, #"{"stream":"KV_t","seq":3.0}"#,
        #"{"stream":"KV_t","seq":18446744073709551616}"#, #"{"stream":"KV_t","seq":3} trailing"#, #"{"stream":"KV_t","seq":3"#,
        #"{"error":"no"}"#, #"{"error":{"description":"no code"}}"#, #"{"error":{"code":"400"}}"#, #"[{"stream":"KV_t","seq":3}]"#,
    ])
    func malformedAcks(text: String) {
        do {
            let ack = try JetStreamPublishAck.parse(ascii(text))
            Issue.record("accepted \(text) as \(ack)")
        } catch {
            #expect(error.isMalformed, "\(error)")
        }
    }

    @Test("every truncation of a real ack is malformed, never a crash or a wrong number")
    func truncatedAcks() {
        for text in [#"{"stream":"KV_t", "seq":12345}"#,
                     #"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 5"},"stream":"KV_t","seq":0}"#] {
            let bytes = ascii(text)
            for end in 0..<bytes.count {
                #expect(throws: KVError.self) { try JetStreamPublishAck.parse(Array(bytes[..<end])) }
            }
        }
    }

    @Test("the actual revision of a failed compare-and-set, from the error text")
    func wrongLastSequenceText() {
        #expect(JetStreamAPIError.actualSequence(inWrongLastSequence: "wrong last sequence: 5") == 5)
        #expect(JetStreamAPIError.actualSequence(inWrongLastSequence: "wrong last sequence: 0") == 0)
        #expect(JetStreamAPIError.actualSequence(inWrongLastSequence: "wrong last sequence:18446744073709551615") == .max)
        for other in ["wrong last sequence", "wrong last sequence: ", "wrong last sequence: x", "wrong last sequence: 5x",
                      "wrong last sequence: -1", "wrong last sequence: 18446744073709551616", "last sequence: 5", ""] {
            #expect(JetStreamAPIError.actualSequence(inWrongLastSequence: other) == nil, "\(other)")
        }
        #expect(JetStreamAPIError(code: 400, errorCode: 10071, description: "wrong last sequence: 7").kvError
            == KVError(.wrongLastSequence(actual: 7)))
        // Without a number it is still reported, as the API error it is.
        #expect(JetStreamAPIError(code: 400, errorCode: 10071, description: "wrong last sequence").kvError
            == KVError(.api(code: 400, errorCode: 10071, description: "wrong last sequence")))
        #expect(JetStreamAPIError(code: 404, errorCode: 10059, description: "stream not found").kvError == KVError(.bucketNotFound))
    }

    @Test("a write's reply: revision, or the error it means")
    func writeOutcome() {
        func outcome(_ result: Result<NATSReply, BusError>, limit: Int? = nil) -> Result<UInt64, KVError> {
            JetStreamKeyValue.revision(from: result, subject: "$KV.b.k", stream: "KV_b", size: 50, limit: limit)
        }
        #expect(outcome(.success(NATSReply(payload: ascii(#"{"stream":"KV_b","seq":9}"#)))) == .success(9))
        #expect(outcome(.success(NATSReply(payload: ascii(#"{"stream":"KV_other","seq":9}"#)))).failure?.isMalformed == true)
        #expect(outcome(.success(NATSReply(payload: ascii(#"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 4"},"stream":"KV_b","seq":0}"#))))
            == .failure(KVError(.wrongLastSequence(actual: 4))))
        let tooLarge = ascii(#"{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"},"stream":"KV_b","seq":0}"#)
        #expect(outcome(.success(NATSReply(payload: tooLarge)), limit: 40) == .failure(KVError(.payloadTooLarge(size: 50, limit: 40))))
        #expect(outcome(.success(NATSReply(payload: tooLarge)))
            == .failure(KVError(.api(code: 400, errorCode: 10054, description: "message size exceeds maximum allowed"))))
        #expect(outcome(.success(NATSReply(status: 408, statusDescription: "Request Timeout")))
            == .failure(KVError(.api(code: 408, errorCode: 0, description: "Request Timeout"))))
        #expect(outcome(.failure(BusError(.timedOut(.seconds(1))))) == .failure(KVError(.timedOut)))
        #expect(outcome(.failure(BusError(.payloadTooLarge(size: 9, limit: 8)))) == .failure(KVError(.payloadTooLarge(size: 9, limit: 8))))
        for unavailable in [BusError(.noResponders), BusError(.closed), BusError(.connectionFailed("down"))] {
            guard case .unavailable? = outcome(.failure(unavailable)).failure?.kind else {
                Issue.record("\(unavailable) should be unavailable")
                continue
            }
        }
        #expect(outcome(.success(NATSReply(payload: ascii("<html>")))).failure?.isMalformed == true)
    }

    // MARK: Direct gets

    private func directGet(_ reply: NATSReply) throws(KVError) -> KVEntry? {
        try KVDirectGetReply.entry(from: reply, key: "o.a", subjectPrefix: "$KV.b.")
    }

    @Test("a direct get's message: revision from Nats-Sequence, operation, writer's headers only")
    func directGets() throws {
        // Headers as nats-server 2.9.10 sent them, the stored expected-sequence header included.
        let put = NATSReply(headers: fields(["X-My": "hi", "Nats-Expected-Last-Subject-Sequence": "1", "Nats-Stream": "KV_b",
                                             "Nats-Subject": "$KV.b.o.a", "Nats-Sequence": "2",
                                             "Nats-Time-Stamp": "2026-12-08T00:36:18.128173206Z"]),
                            payload: ascii("v2"))
        #expect(try directGet(put) == KVEntry(key: "o.a", revision: 2, operation: .put, value: ascii("v2"), headers: fields(["X-My": "hi"])))
        let deleted = NATSReply(headers: fields(["KV-Operation": "DEL", "Nats-Subject": "$KV.b.o.a", "nats-sequence": "3"]), payload: ascii("ignored"))
        #expect(try directGet(deleted) == KVEntry(key: "o.a", revision: 3, operation: .delete, value: []))
        let purged = NATSReply(headers: fields(["kv-operation": "PURGE", "Nats-Sequence": "4"]))
        #expect(try directGet(purged)?.operation == .purge)
        #expect(try directGet(NATSReply(status: 404, statusDescription: "Message Not Found")) == nil)
    }

    @Test("direct get replies that cannot be trusted", arguments: [
        NATSReply(payload: ascii("v")),
        NATSReply(headers: fields(["Nats-Sequence": ""])),
        NATSReply(headers: fields(["Nats-Sequence": "0"])),
        NATSReply(headers: fields(["Nats-Sequence": "-2"])),
        NATSReply(headers: fields(["Nats-Sequence": "2x"])),
        NATSReply(headers: fields(["Nats-Sequence": "18446744073709551616"])),
        NATSReply(headers: fields(["Nats-Sequence": "2", "Nats-Subject": "$KV.b.o.b"])),
        NATSReply(headers: fields(["Nats-Sequence": "2", "Nats-Subject": "$KV.b.o.a.x"])),
        NATSReply(headers: fields(["Nats-Sequence": "2", "Nats-Subject": "$KV.b.o"])),
        NATSReply(headers: fields(["Nats-Sequence": "2", "KV-Operation": "del"])),
    ])
    func malformedDirectGets(reply: NATSReply) {
        do {
            let entry = try directGet(reply)
            Issue.record("accepted \(reply) as \(String(describing: entry))")
        } catch {
            #expect(error.isMalformed, "\(error)")
        }
    }

    @Test("other statuses are the server's refusal")
    func directGetStatuses() {
        #expect(throws: KVError(.api(code: 408, errorCode: 0, description: "Bad Request"))) {
            try directGet(NATSReply(status: 408, statusDescription: "Bad Request"))
        }
        #expect(throws: KVError(.api(code: 500, errorCode: 0, description: "status 500 without a description"))) {
            try directGet(NATSReply(status: 500))
        }
    }

    @Test("reserved header names")
    func reservedHeaders() {
        for name in ["Nats-Msg-Id", "nats-expected-last-subject-sequence", "NATS-ANYTHING", "KV-Operation", "kv-operation"] {
            #expect(KVDirectGetReply.isReserved(name), "\(name)")
            #expect(JetStreamKeyValue.headerProblem(NATSHeader(name: name, value: "1")) != nil)
        }
        for name in ["X-Nats-Thing", "Nats", "NATS_", "KV-Op", "Content-Type"] {
            #expect(!KVDirectGetReply.isReserved(name), "\(name)")
        }
        #expect(JetStreamKeyValue.headerProblem(NATSHeader(name: "X", value: "a\r\nb")) != nil)
        #expect(JetStreamKeyValue.headerProblem(NATSHeader(name: "X Y", value: "a")) != nil)
        #expect(JetStreamKeyValue.headerProblem(NATSHeader(name: "X-Y", value: "any: text")) == nil)
    }

    // MARK: Stream API

    @Test("stream info as nats-server 2.9.10 sends it, with a subjects filter")
    func streamInfo() throws {
        let text = #"{"type":"io.nats.jetstream.api.v1.stream_info_response","total":2,"offset":0,"limit":100000,"config":{"name":"KV_t","subjects":["$KV.t.\u003e"],"retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msgs_per_subject":1,"max_msg_size":-1,"discard":"new","storage":"file","num_replicas":1,"duplicate_window":120000000000,"allow_direct":true,"mirror_direct":false,"sealed":false,"deny_delete":true,"deny_purge":false,"allow_rollup_hdrs":true},"created":"2026-12-08T00:36:18.108419936Z","state":{"messages":2,"bytes":135,"first_seq":4,"first_ts":"2026-12-08T00:36:18.132735Z","last_seq":5,"last_ts":"2026-12-08T00:36:18.133Z","num_subjects":2,"subjects":{"$KV.t.a":1,"$KV.t.x.y":1},"consumer_count":0}}"#
        let info = try JetStreamStreamAPI.streamInfo(from: ascii(text))
        #expect(info == JetStreamStreamAPI.StreamInfo(name: "KV_t", subjects: ["$KV.t.>"], maxMessagesPerSubject: 1, maxMessageSize: -1,
                                                       allowDirect: true, subjectCounts: ["$KV.t.a": 1, "$KV.t.x.y": 1], total: 2, offset: 0))
        let notFound = #"{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,"description":"stream not found"},"total":0,"offset":0,"limit":0}"#
        #expect(throws: KVError(.bucketNotFound)) { try JetStreamStreamAPI.streamInfo(from: ascii(notFound)) }
        let invalid = #"{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":400,"err_code":10025,"description":"invalid JSON"}}"#
        #expect(throws: KVError(.api(code: 400, errorCode: 10025, description: "invalid JSON"))) { try JetStreamStreamAPI.streamInfo(from: ascii(invalid)) }
        for garbage in ["", "garbage", "{}", #"{"config":{}}"#, #"{"config":{"name":5}}"#, #"{"config":{"name":"KV_t","subjects":"x"}}"#,
                        #"{"config":{"name":"KV_t"},"state":{"subjects":{"a":-1}}}"#, #"{"config":{"name":"KV_t"}"#] {
            #expect(throws: KVError.self, "\(garbage)") { try JetStreamStreamAPI.streamInfo(from: ascii(garbage)) }
        }
    }

    @Test("a create that finds the name taken says so; other create errors are errors")
    func createReplies() throws {
        let inUse = #"{"type":"io.nats.jetstream.api.v1.stream_create_response","error":{"code":400,"err_code":10058,"description":"stream name already in use with a different configuration"}}"#
        #expect(try JetStreamStreamAPI.createdStream(from: ascii(inUse)) == nil)
        let noStorage = #"{"error":{"code":503,"err_code":10047,"description":"insufficient storage resources available"}}"#
        #expect(throws: KVError(.api(code: 503, errorCode: 10047, description: "insufficient storage resources available"))) {
            try JetStreamStreamAPI.createdStream(from: ascii(noStorage))
        }
    }

    @Test("the create request is a key-value stream's configuration")
    func createRequest() throws {
        let request = JetStreamStreamAPI.createRequest(for: KVBucketOptions(bucket: "objects", replicas: 3, maxValueSize: 4096))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(request)) as? [String: Any])
        #expect(json["name"] as? String == "KV_objects")
        #expect(json["subjects"] as? [String] == ["$KV.objects.>"])
        #expect(json["max_msgs_per_subject"] as? Int == 1)
        #expect(json["max_msg_size"] as? Int == 4096)
        #expect(json["storage"] as? String == "file")
        #expect(json["discard"] as? String == "new")
        #expect(json["num_replicas"] as? Int == 3)
        #expect(json["allow_direct"] as? Bool == true)
        #expect(json["allow_rollup_hdrs"] as? Bool == true)
        #expect(json["deny_delete"] as? Bool == true)
        #expect(json["deny_purge"] as? Bool == false)
        let unlimited = JetStreamStreamAPI.createRequest(for: KVBucketOptions(bucket: "b"))
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(unlimited)) as? [String: Any])
        #expect(plain["max_msg_size"] as? Int == -1)
        #expect(String(decoding: JetStreamStreamAPI.infoRequest(subjectsFilter: "$KV.b.>", offset: 7), as: UTF8.self).contains(#""offset":7"#))
        #expect(JetStreamStreamAPI.infoRequest(subjectsFilter: nil, offset: 0) == [])
    }

    @Test("a stream message get: base64 headers and data, or no message")
    func messageGets() throws {
        let hdrs = Data("NATS/1.0\r\nX-My: hi\r\nNats-Expected-Last-Subject-Sequence: 2\r\n\r\n".utf8).base64EncodedString()
        let data = Data("value".utf8).base64EncodedString()
        let put = #"{"type":"io.nats.jetstream.api.v1.stream_msg_get_response","message":{"subject":"$KV.b.k","seq":3,"hdrs":"\#(hdrs)","data":"\#(data)","time":"2026-12-08T00:36:18Z"}}"#
        #expect(try JetStreamStreamAPI.entry(fromMessageGet: ascii(put), key: "k", subject: "$KV.b.k")
            == KVEntry(key: "k", revision: 3, operation: .put, value: ascii("value"), headers: fields(["X-My": "hi"])))
        // As nats-server 2.9.10 sent a delete marker: headers, no data.
        let marker = #"{"type":"io.nats.jetstream.api.v1.stream_msg_get_response","message":{"subject":"$KV.t.a","seq":3,"hdrs":"TkFUUy8xLjANCktWLU9wZXJhdGlvbjogREVMDQpOYXRzLUV4cGVjdGVkLUxhc3QtU3ViamVjdC1TZXF1ZW5jZTogMg0KDQo=","time":"2026-12-08T00:36:18.128764625Z"}}"#
        #expect(try JetStreamStreamAPI.entry(fromMessageGet: ascii(marker), key: "a", subject: "$KV.t.a")
            == KVEntry(key: "a", revision: 3, operation: .delete, value: []))
        let none = #"{"type":"io.nats.jetstream.api.v1.stream_msg_get_response","error":{"code":404,"err_code":10037,"description":"no message found"}}"#
        #expect(try JetStreamStreamAPI.entry(fromMessageGet: ascii(none), key: "k", subject: "$KV.b.k") == nil)
        let badBlock = Data("HTTP/1.1\r\n\r\n".utf8).base64EncodedString()
        for bad in [#"{"message":{"subject":"$KV.b.k","seq":3,"data":"not base64!"}}"#,
                    #"{"message":{"subject":"$KV.b.k","seq":3,"hdrs":"%%%"}}"#,
                    #"{"message":{"subject":"$KV.b.k","seq":3,"hdrs":"\#(badBlock)"}}"#,
                    #"{"message":{"subject":"$KV.b.other","seq":3}}"#,
                    #"{"message":{"subject":"$KV.b.k","seq":0}}"#,
                    #"{"message":{"subject":"$KV.b.k"}}"#, #"{}"#, "nope"] {
            do {
                _ = try JetStreamStreamAPI.entry(fromMessageGet: ascii(bad), key: "k", subject: "$KV.b.k")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.isMalformed, "\(bad): \(error)")
            }
        }
    }

    // MARK: Keys and options

    @Test("key rules", arguments: [
        ("a", true), ("o.math=2ECalculator.obj-1", true), ("A/b_c=d-e.0", true), ("x.y.z", true),
        ("", false), (".", false), (".a", false), ("a.", false), ("a..b", false), ("a b", false), ("a*", false), ("a.>", false),
        ("ü", false), ("a\r\n", false), ("a:b", false), ("$KV", false),
    ])
    func keyRules(key: String, valid: Bool) {
        #expect(JetStreamKeyValue.isValidKey(key) == valid)
    }

    @Test("options that cannot make a bucket are refused when the handle is made")
    func options() {
        for (options, fragment) in [(KVBucketOptions(bucket: ""), "bucket name"), (KVBucketOptions(bucket: "a.b"), "bucket name"),
                                    (KVBucketOptions(bucket: "a>"), "bucket name"), (KVBucketOptions(bucket: "ok", replicas: 0), "replicas"),
                                    (KVBucketOptions(bucket: "ok", replicas: 6), "replicas"), (KVBucketOptions(bucket: "ok", maxValueSize: 0), "maxValueSize"),
                                    (KVBucketOptions(bucket: "ok", timeout: .zero), "timeout")] {
            #expect(options.problem?.contains(fragment) == true, "\(options)")
        }
        #expect(KVBucketOptions(bucket: "objects-v2_x").problem == nil)
    }

    @Test("header lookup ignores ASCII case only")
    func headerLookup() {
        let reply = NATSReply(headers: fields(["Nats-Sequence": "1", "X": "first", "x": "second"]))
        #expect(reply.header("nats-sequence") == "1")
        #expect(reply.header("NATS-SEQUENCE") == "1")
        #expect(reply.header("x") == "first")
        #expect(reply.header("Nats-Sequenc") == nil && reply.header("Nats-Sequence2") == nil && reply.header("") == nil)
    }
}

extension KVError {
    var isMalformed: Bool {
        if case .malformedReply = kind { return true }
        return false
    }
}
