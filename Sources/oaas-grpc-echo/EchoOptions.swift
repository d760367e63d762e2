import OaasGRPC

#if canImport(Glibc)
import Glibc  // exit()
#endif

/// Command-line options of the echo server.
enum EchoOptions {
    static let usage = """
        usage: oaas-grpc-echo [--host H] [--port P] [--max-receive-message-bytes N]
                              [--max-concurrent-streams N] [--max-connections N] [--drain-seconds S]
        """

    struct BadOption: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> GRPCServerConfiguration {
        var configuration = GRPCServerConfiguration()
        var index = 0
        func value(_ option: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw BadOption(description: "\(option) needs a value") }
            return arguments[index]
        }
        func number(_ option: String) throws -> Int {
            let text = try value(option)
            guard let number = Int(text), number >= 0 else {
                throw BadOption(description: "\(option) needs a whole number, not '\(text)'")
            }
            return number
        }
        while index < arguments.count {
            let option = arguments[index]
            switch option {
            case "--host": configuration.host = try value(option)
            case "--port": configuration.port = try number(option)
            case "--max-receive-message-bytes": configuration.maxReceiveMessageBytes = try number(option)
            case "--max-concurrent-streams": configuration.http2.maxConcurrentStreams = UInt32(try number(option))
            case "--max-connections": configuration.maxConnections = try number(option)
            case "--drain-seconds": configuration.drainGracePeriod = .seconds(try number(option))
            case "--help", "-h":
                print(usage)
                exit(0)
            default: throw BadOption(description: "unknown option '\(option)'")
            }
            index += 1
        }
        return configuration
    }
}

