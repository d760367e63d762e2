import OaasLoop
import Synchronization

/// What an agent has done so far, readable from any thread (for ``Oaas/listAgents()``) while
/// the loop updates it.
final class AgentCounters: Sendable {
    private let served = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)
    private let lastErrorText = LockedValue<String?>(nil)

    var callsServed: Int { served.load(ordering: .relaxed) }
    var callsFailed: Int { failed.load(ordering: .relaxed) }
    var callsInFlight: Int { inFlight.load(ordering: .relaxed) }
    var lastError: String? { lastErrorText.withLock { $0 } }

    func callStarted() {
        inFlight.add(1, ordering: .relaxed)
    }

    /// Counts an answered call; returns the calls still in flight.
    func callFinished(error: String?) -> Int {
        served.add(1, ordering: .relaxed)
        if let error {
            failed.add(1, ordering: .relaxed)
            record(error)
        }
        return inFlight.subtract(1, ordering: .relaxed).newValue
    }

    func record(_ error: String) {
        lastErrorText.withLock { $0 = error }
    }
}
