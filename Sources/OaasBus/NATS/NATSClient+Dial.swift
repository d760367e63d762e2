import OaasLoop

// Reaching one server: resolving its host, then a TCP connect to each of its addresses in turn
// until one accepts. What happens on the connection after that is in NATSClient+Connection.
// Loop thread only.
extension NATSClient {
    /// Dials the round's next address: the current server's next one, else the first of the
    /// next server (after resolving its name). Ends the round when no server is left.
    func dialNext() {
        // A loop rather than recursion: literals resolve, and bad addresses fail, before the
        // call that started them returns.
        while true {
            if round.nextAddress < round.addresses.count, round.next > 0 {
                let endpoint = round.candidates[round.next - 1]
                let address = round.addresses[round.nextAddress]
                round.nextAddress += 1
                if dial(address, of: endpoint) { return }
                continue
            }
            guard round.next < round.candidates.count else { break }
            let endpoint = round.candidates[round.next]
            round.next += 1
            round.addresses = []
            round.nextAddress = 0
            if startResolving(endpoint) { return }
        }
        link = .down
        roundFailed()
    }

    /// Looks up `endpoint`'s host, bounded by the connect timeout.
    /// - Returns: true when the answer will come later (the link is then `.resolving`); false
    ///   when it came at once (an IP literal, `localhost`, a malformed name) and the round
    ///   already holds its addresses or its failure.
    private func startResolving(_ endpoint: NATSEndpoint) -> Bool {
        linkGeneration &+= 1
        let generation = linkGeneration
        var answeredAtOnce: Result<[SocketAddress], LoopError>?
        var answerIsLate = false
        let resolution = loop.resolve(host: endpoint.host, port: endpoint.port,
                                      timeout: configuration.connectTimeout) { [self] result in
            if answerIsLate {
                resolved(result, endpoint: endpoint, generation: generation)
            } else {
                answeredAtOnce = result
            }
        }
        if let answeredAtOnce {
            take(answeredAtOnce, for: endpoint)
            return false
        }
        answerIsLate = true
        link = .resolving(endpoint, resolution)
        return true
    }

    private func resolved(_ result: Result<[SocketAddress], LoopError>, endpoint: NATSEndpoint, generation: UInt64) {
        // Dropping the link cancels the resolution, so a stale answer should never arrive;
        // the check keeps that a local fact rather than a distant one.
        guard generation == linkGeneration, case .resolving = link else { return }
        link = .down
        take(result, for: endpoint)
        dialNext()
    }

    /// Records a resolution's outcome in the round: the addresses to dial, or why there are
    /// none.
    private func take(_ result: Result<[SocketAddress], LoopError>, for endpoint: NATSEndpoint) {
        switch result {
        case .success(let addresses):
            round.addresses = addresses
            round.nextAddress = 0
        case .failure(let error):
            let reason = "\(Self.address(of: endpoint)): cannot resolve '\(endpoint.host)': \(error.message) (\(error.name))"
            round.record(BusError(.connectionFailed(reason)))
            log("cannot connect to \(reason)")
        }
    }

    /// Starts a TCP connect to one of `endpoint`'s addresses.
    /// - Returns: false when it failed at once (recorded in the round).
    private func dial(_ address: SocketAddress, of endpoint: NATSEndpoint) -> Bool {
        linkGeneration &+= 1
        let generation = linkGeneration
        link = .dialing(endpoint, address)
        do {
            try TCPConnection.connect(loop: loop, to: address, timeout: configuration.connectTimeout) { [self] result in
                dialFinished(result, endpoint: endpoint, address: address, generation: generation)
            }
            dialInFlight = true
            return true
        } catch {
            link = .down
            dialFailed(error, endpoint: endpoint, address: address)
            return false
        }
    }

    private func dialFinished(_ result: Result<TCPConnection, LoopError>, endpoint: NATSEndpoint, address: SocketAddress,
                              generation: UInt64) {
        dialInFlight = false
        switch lifecycle {
        case .connecting, .reconnecting:
            break
        case .closing, .closed, .idle, .connected:
            // close() ran while the connect was outstanding and is waiting for it.
            if case .success(let connection) = result { retire(connection) }
            finishClosingIfDone()
            return
        }
        guard generation == linkGeneration, case .dialing = link else {
            if case .success(let connection) = result { retire(connection) }
            return
        }
        switch result {
        case .failure(let error):
            link = .down
            dialFailed(error, endpoint: endpoint, address: address)
            dialNext()
        case .success(let connection):
            connectionOpened(connection, endpoint: endpoint, generation: generation)
        }
    }

    private func dialFailed(_ error: LoopError, endpoint: NATSEndpoint, address: SocketAddress) {
        // A named server's failures show which of its addresses failed; a literal's address
        // is the server itself.
        let server = Self.address(of: endpoint)
        let label = server == address.description ? server : "\(server) (\(address))"
        round.record(BusError(.connectionFailed("\(label): \(error.message)")))
        log("cannot connect to \(label): \(error.message)")
    }
}
