/// Command-line options of the reference server.
struct ReferenceOptions {
    static let usage = """
        usage: grpc-swift-reference [--host H] [--port P] [--max-concurrent-streams N] [--one-thread]
          --port 0 (the default) picks a free port; LISTENING <port> tells which.
          --max-concurrent-streams: HTTP/2 streams a connection may open at once, default 100 as
            the benchmark gives oaas-grpc-echo; 0 leaves grpc-swift's default (no limit).
          --one-thread: run the Swift concurrency jobs (the RPC handlers) on the event loop too,
            so the server runs on one thread instead of the loop plus the concurrency pool.
        """

    struct BadOption: Error, CustomStringConvertible {
        let description: String
    }

    var host = "127.0.0.1"
    var port = 0
    var maxConcurrentStreams: Int? = 100
    var oneThread = false
    var help = false

    static func parse(_ arguments: [String]) throws -> ReferenceOptions {
        var options = ReferenceOptions()
        var rest = arguments[...]
        func value(_ option: String) throws -> String {
            guard let value = rest.popFirst() else { throw BadOption(description: "\(option) needs a value") }
            return value
        }
        func number(_ option: String) throws -> Int {
            let text = try value(option)
            guard let number = Int(text), number >= 0 else {
                throw BadOption(description: "\(option) needs a whole number, not '\(text)'")
            }
            return number
        }
        while let option = rest.popFirst() {
            switch option {
            case "--host": options.host = try value(option)
            case "--port":
                options.port = try number(option)
                guard options.port <= 65535 else { throw BadOption(description: "--port must be at most 65535") }
            case "--max-concurrent-streams":
                let streams = try number(option)
                options.maxConcurrentStreams = streams == 0 ? nil : streams
            case "--one-thread": options.oneThread = true
            case "--help", "-h": options.help = true
            default: throw BadOption(description: "unknown option '\(option)'")
            }
        }
        return options
    }
}
