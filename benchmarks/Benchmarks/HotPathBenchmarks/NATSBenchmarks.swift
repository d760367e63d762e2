import Benchmark
@_spi(Benchmarks) import OaasBus

/// The NATS client's parser over buffers of the messages an agent receives, and its command
/// writer. Per operation: one message parsed, or one command written. No reference: no other
/// NATS client in Swift is at hand, and the C client's parser is not separable.
func registerNATSBenchmarks() {
    let opsPerBuffer = 100

    Benchmark("nats_parse_MSG_with_reply_subject") { benchmark in
        let traffic = Fixtures.natsTraffic(count: opsPerBuffer, headers: false)
        var parser = NATSParserBenchmarkHook()
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations where iteration % opsPerBuffer == opsPerBuffer - 1 {
            traffic.withUnsafeBytes { blackHole(try! parser.parse($0)) }
        }
    }

    Benchmark("nats_parse_HMSG_with_one_header") { benchmark in
        let traffic = Fixtures.natsTraffic(count: opsPerBuffer, headers: true)
        var parser = NATSParserBenchmarkHook()
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations where iteration % opsPerBuffer == opsPerBuffer - 1 {
            traffic.withUnsafeBytes { blackHole(try! parser.parse($0)) }
        }
    }

    // A reply or a request as the client queues it: into the connection's reused output
    // buffer, emptied every 100 commands as a loop turn's flush would.
    Benchmark("nats_write_PUB_with_reply_subject") { benchmark in
        let subjects = (0..<Fixtures.objectCount).map(Fixtures.natsSubject)
        let inboxes = (0..<Fixtures.objectCount).map(Fixtures.natsInbox)
        let payloads = Fixtures.requests(function: "add", payload: Fixtures.addPayload)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 << 10)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            let index = iteration & Fixtures.objectMask
            payloads[index].withUnsafeBytes { payload in
                NATSCommandBenchmarkHook.publish(subject: subjects[index], replyTo: inboxes[index],
                                                 payload: payload, into: &buffer)
            }
            if iteration % opsPerBuffer == opsPerBuffer - 1 {
                blackHole(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    Benchmark("nats_write_HPUB_with_one_header") { benchmark in
        let subjects = (0..<Fixtures.objectCount).map(Fixtures.natsSubject)
        let inboxes = (0..<Fixtures.objectCount).map(Fixtures.natsInbox)
        let payloads = Fixtures.requests(function: "add", payload: Fixtures.addPayload)
        let headers = [NATSHeader(name: "Nats-Msg-Id", value: "call-42")]
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 << 10)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            let index = iteration & Fixtures.objectMask
            payloads[index].withUnsafeBytes { payload in
                NATSCommandBenchmarkHook.publish(subject: subjects[index], replyTo: inboxes[index], headers: headers,
                                                 payload: payload, into: &buffer)
            }
            if iteration % opsPerBuffer == opsPerBuffer - 1 {
                blackHole(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }
}
