import Synchronization

/// Whether a peer is alive, from when it was last heard (zguide's Paranoid Pirate: any traffic counts, a
/// heartbeat fills the silences). A pure state machine on an injected clock, so it is tested without sockets:
///   alive ──silent ≥ suspectAfter──▶ suspect ──silent ≥ deadAfter──▶ dead;  heard again ──▶ alive ("back").
struct Liveness<C: Clock>: Sendable where C.Duration == Duration {
    enum State: String, Sendable, Equatable {
        case alive, suspect, dead
    }

    /// A change of state, returned by the call that caused it.
    struct Change: Sendable, Equatable {
        let from: State
        let to: State
    }

    let clock: C
    /// Silence after which a heartbeat is due (less than `suspectAfter`).
    let heartbeatAfter: Duration
    let suspectAfter: Duration
    let deadAfter: Duration
    private(set) var lastHeard: C.Instant
    private(set) var state = State.alive

    init(clock: C, heartbeatAfter: Duration, suspectAfter: Duration, deadAfter: Duration) {
        self.clock = clock
        self.heartbeatAfter = heartbeatAfter; self.suspectAfter = suspectAfter; self.deadAfter = deadAfter
        lastHeard = clock.now
    }

    /// The peer sent something (a reply, an error reply, a result).
    mutating func heard() -> Change? {
        lastHeard = clock.now
        return move(to: .alive)
    }

    /// The state the silence so far implies.
    mutating func update() -> Change? {
        let silence = lastHeard.duration(to: clock.now)
        return move(to: silence >= deadAfter ? .dead : silence >= suspectAfter ? .suspect : .alive)
    }

    /// Whether the peer has been quiet long enough to be sent a heartbeat.
    var heartbeatDue: Bool { lastHeard.duration(to: clock.now) >= heartbeatAfter }

    private mutating func move(to next: State) -> Change? {
        guard next != state else { return nil }
        defer { state = next }
        return Change(from: state, to: next)
    }
}

/// Every stage's liveness, by stage index, shared by the heartbeat, the control requests and the result thread.
final class LivenessBoard: Sendable {
    private let stages: Mutex<[Liveness<ContinuousClock>]>

    init(count: Int, heartbeat: Duration, deadAfter: Duration) {
        let clock = ContinuousClock()
        stages = Mutex((0..<count).map { _ in
            Liveness(clock: clock, heartbeatAfter: heartbeat, suspectAfter: heartbeat * 2, deadAfter: deadAfter)
        })
    }

    func heard(_ stage: Int) { _ = stages.withLock { $0[stage].heard() } }

    /// A result came through the last stage: every stage is alive.
    func heardAll() { stages.withLock { all in for i in all.indices { _ = all[i].heard() } } }

    func heartbeatDue(_ stage: Int) -> Bool { stages.withLock { $0[stage].heartbeatDue } }

    func state(_ stage: Int) -> Liveness<ContinuousClock>.State { stages.withLock { $0[stage].state } }

    /// The stages whose state the silence so far changed.
    func update() -> [(stage: Int, change: Liveness<ContinuousClock>.Change)] {
        stages.withLock { all in all.indices.compactMap { i in all[i].update().map { (i, $0) } } }
    }
}
