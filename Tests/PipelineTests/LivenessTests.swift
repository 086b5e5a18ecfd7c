@testable import Coordinator
import Synchronization
import XCTest

/// A clock that moves only when told to, so liveness is tested without sockets or waiting.
final class ManualClock: Clock {
    private let current = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func advance(_ d: Duration) { current.withLock { $0 += d } }

    func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration?) async throws {
        while now < deadline { try await Task.sleep(for: .milliseconds(1)) }
    }
}

final class LivenessTests: XCTestCase {
    private let clock = ManualClock()
    private var liveness: Liveness<ManualClock>!

    override func setUp() {
        liveness = Liveness(clock: clock, heartbeatAfter: .milliseconds(250), suspectAfter: .milliseconds(500),
                            deadAfter: .seconds(1))
    }

    func testSilenceMakesAPeerSuspectThenDead() {
        XCTAssertNil(liveness.update())
        XCTAssertFalse(liveness.heartbeatDue)
        clock.advance(.milliseconds(300))
        XCTAssertTrue(liveness.heartbeatDue, "quiet past heartbeatAfter: a heartbeat is due")
        XCTAssertNil(liveness.update(), "still alive before suspectAfter")
        clock.advance(.milliseconds(200))
        XCTAssertEqual(liveness.update(), .init(from: .alive, to: .suspect))
        XCTAssertNil(liveness.update(), "a state is reported once")
        clock.advance(.milliseconds(499))
        XCTAssertEqual(liveness.state, .suspect)
        clock.advance(.milliseconds(1))
        XCTAssertEqual(liveness.update(), .init(from: .suspect, to: .dead))
    }

    func testHearingAPeerBringsItBackAndRestartsTheSilence() {
        clock.advance(.seconds(2))
        XCTAssertEqual(liveness.update(), .init(from: .alive, to: .dead))
        XCTAssertEqual(liveness.heard(), .init(from: .dead, to: .alive), "a dead peer that answers is back")
        XCTAssertFalse(liveness.heartbeatDue)
        clock.advance(.milliseconds(499))
        XCTAssertNil(liveness.update())
        XCTAssertNil(liveness.heard(), "hearing an alive peer changes nothing")
        clock.advance(.milliseconds(999))
        XCTAssertEqual(liveness.update(), .init(from: .alive, to: .suspect), "silence counts from the last answer")
    }

    func testASkippedCheckGoesStraightToDead() {
        clock.advance(.seconds(5))
        XCTAssertEqual(liveness.update(), .init(from: .alive, to: .dead))
    }
}
