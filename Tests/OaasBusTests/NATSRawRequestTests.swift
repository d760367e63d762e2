import Foundation
@testable import OaasBus
import OaasLoop
import OaasTesting
import Testing

/// ``NATSClient/request(subject:headers:payload:timeout:completion:)`` against a real
/// nats-server, with a hand-written responder on the other side.
@Suite("NATS raw requests against nats-server", .serialized)
struct NATSRawRequestTests {
    typealias Responder = LoopBox<RawNATSResponder?>

    private func startResponder(_ loop: EventLoop, port: Int, subject: String,
                                answer: @escaping RawNATSResponder.Answer) async throws -> Responder {
        let box = Responder(loop, nil)
        let result: Result<Bool, LoopError> = try await onLoop(loop) { finish in
            try RawNATSResponder.start(loop: loop, port: port, subject: subject, answer: answer) { result in
                finish(result.map { responder in
                    box.value = responder
                    return true
                })
            }
        }
        _ = try result.get()
        return box
    }

    private func received(_ responder: Responder, _ loop: EventLoop) async throws -> [NATSMessage] {
        try await onLoop(loop) { finish in finish(responder.value!.received) }
    }

    private func close(_ responder: Responder, _ loop: EventLoop) async throws {
        try await onLoop(loop) { finish in responder.value!.close { finish(()) } }
    }

    @Test("header fields reach the responder in order; its status line, fields and payload come back", .timeLimit(.minutes(1)))
    func headersBothWays() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let responder = try await startResponder(loop, port: server.port, subject: "svc.echo") { message in
                ("NATS/1.0 404 Message Not Found\r\nX-Echo: \(message.headers.first?.value ?? "-")\r\nx-two: b\r\n\r\n", ascii("body"))
            }
            let client = try await TestClient.connected(loop, servers: server.url)
            let sent = fields(["Nats-Msg-Id": "call-1", "X-Echo": "hello world: yes", "X-Echo": "again", "Empty": ""])
            let reply = try await client.rawRequest("svc.echo", headers: sent, payload: ascii("question")).get()
            #expect(reply.status == 404)
            #expect(reply.statusDescription == "Message Not Found")
            #expect(reply.headers == fields(["X-Echo": "call-1", "x-two": "b"]))
            #expect(reply.header("x-echo") == "call-1" && reply.header("X-TWO") == "b" && reply.header("missing") == nil)
            #expect(reply.payload == ascii("body"))

            let seen = try await received(responder, loop)
            #expect(seen.count == 1)
            #expect(seen.first?.headers == sent)
            #expect(seen.first?.payload == ascii("question"))
            #expect(seen.first?.replyTo?.hasPrefix(try await client.inboxPrefix() + ".") == true)
            try await client.close()
            try await close(responder, loop)
        }
    }

    @Test("without headers the request is a plain PUB and a plain reply has no status", .timeLimit(.minutes(1)))
    func plainRequest() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let responder = try await startResponder(loop, port: server.port, subject: "svc.>") { message in
                (nil, ascii("re: ") + message.payload)
            }
            let client = try await TestClient.connected(loop, servers: server.url)
            let reply = try await client.rawRequest("svc.a.b", payload: ascii("x")).get()
            #expect(reply == NATSReply(payload: ascii("re: x")))
            let seen = try await received(responder, loop)
            #expect(seen.map(\.subject) == ["svc.a.b"])
            #expect(seen.first?.headers == [] && seen.first?.status == nil)
            try await client.close()
            try await close(responder, loop)
        }
    }

    @Test("no responders is the one status that fails; other statuses, 503 with a payload included, are replies", .timeLimit(.minutes(1)))
    func statusReplies() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let responder = try await startResponder(loop, port: server.port, subject: "svc.status") { _ in
                ("NATS/1.0 503 Busy\r\n\r\n", ascii("try later"))
            }
            let client = try await TestClient.connected(loop, servers: server.url)
            #expect(try await client.rawRequest("nobody.here", payload: []).failure == BusError(.noResponders))
            let busy = try await client.rawRequest("svc.status", payload: []).get()
            #expect(busy.status == 503 && busy.statusDescription == "Busy" && busy.payload == ascii("try later"))
            try await client.close()
            try await close(responder, loop)
        }
    }

    @Test("subjects and header fields that would break the command are refused before anything is sent", .timeLimit(.minutes(1)))
    func invalidInput() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let before = try await client.statistics().messagesOut
            for subject in ["", "a b", "a\tb", "a\r\nPUB x 1", "a\u{7F}", String(repeating: "s", count: 3585)] {
                let failure = try await client.rawRequest(subject, payload: []).failure
                guard case .invalidKey? = failure?.kind else {
                    Issue.record("subject \(subject.prefix(20).debugDescription): \(String(describing: failure))")
                    continue
                }
            }
            for field in [NATSHeader(name: "", value: "v"), NATSHeader(name: "two words", value: "v"),
                          NATSHeader(name: "Colon:", value: "v"), NATSHeader(name: "X", value: "line\r\nPUB x 1"),
                          NATSHeader(name: "X", value: "bare\nLF")] {
                let failure = try await client.rawRequest("svc.x", headers: [field], payload: []).failure
                guard case .invalidKey? = failure?.kind else {
                    Issue.record("header \(field): \(String(describing: failure))")
                    continue
                }
            }
            #expect(try await client.statistics().messagesOut == before)
            #expect(try await client.state() == .connected)
            try await client.close()
        }
    }

    @Test("header block plus payload over max_payload fails at once with the whole size", .timeLimit(.minutes(1)))
    func payloadTooLarge() async throws {
        let server = try NATSServerProcess.start(maxPayload: 1024)
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let client = try await TestClient.connected(loop, servers: server.url)
            let headers = fields(["X-Pad": String(repeating: "p", count: 100)])
            let block = NATSCommand.headerBlockSize(headers)
            let payload = [UInt8](repeating: 7, count: 1024 - block + 1)
            #expect(try await client.rawRequest("svc.x", headers: headers, payload: payload).failure
                == BusError(.payloadTooLarge(size: 1025, limit: 1024)))
            #expect(try await client.rawRequest("svc.x", payload: [UInt8](repeating: 1, count: 1025)).failure
                == BusError(.payloadTooLarge(size: 1025, limit: 1024)))
            #expect(try await client.statistics().messagesOut == 0)
            // Exactly at the limit it goes out (and nobody answers).
            #expect(try await client.rawRequest("svc.x", headers: headers, payload: Array(payload.dropLast())).failure
                == BusError(.noResponders))
            try await client.close()
        }
    }

    @Test("a responder that never answers: the request ends by its timeout", .timeLimit(.minutes(1)))
    func timeout() async throws {
        let server = try NATSServerProcess.start()
        defer { server.kill() }
        try await withOwnedLoop { loop in
            let responder = try await startResponder(loop, port: server.port, subject: "svc.silent") { _ in nil }
            let client = try await TestClient.connected(loop, servers: server.url)
            let (result, took) = try await timed {
                try await client.rawRequest("svc.silent", headers: fields(["A": "1"]), payload: [], timeout: .milliseconds(200))
            }
            #expect(result.failure == BusError(.timedOut(.milliseconds(200))))
            #expect(took < .seconds(2))
            try await client.close()
            try await close(responder, loop)
        }
    }

    @Test("before connect and after close the request fails at once")
    func notConnected() async throws {
        try await withOwnedLoop { loop in
            let client = try TestClient.make(loop, servers: "nats://127.0.0.1:1")
            guard case .connectionFailed? = try await client.rawRequest("svc.x", payload: []).failure?.kind else {
                Issue.record("expected connectionFailed before connect")
                return
            }
            try await client.close()
            #expect(try await client.rawRequest("svc.x", payload: []).failure == BusError(.closed))
        }
    }
}

extension TestClient {
    func rawRequest(_ subject: String, headers: [NATSHeader] = [], payload: [UInt8],
                    timeout: Duration = .seconds(2)) async throws -> Result<NATSReply, BusError> {
        try await onLoop(loop) { finish in
            box.value.request(subject: subject, headers: headers, payload: payload, timeout: timeout) { finish($0) }
        }
    }
}
