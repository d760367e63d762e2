/// Polls `condition` every 20 ms until it holds or `limit` passes; returns whether it held.
/// For tests that wait for something another thread or process brings about. Any task.
public func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + limit
    while clock.now < end {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
