import Foundation

/// A drain after SIGTERM: the worker keeps computing what it is sent, refuses new sessions, says `draining` in
/// every HealthReply (the coordinator then moves its stage to a standby and closes its sessions here), and exits
/// once nothing is left to finish.
struct Drain {
    var started: ContinuousClock.Instant?
    /// A live coordinator asks for Health at least every second; silent this long, it is not coming to move the
    /// sessions.
    static let quietCoordinator: Duration = .seconds(2)
}

extension WorkerServer {
    /// Called while a drain is asked for: starts it, then true once no session is open, the coordinator has
    /// gone quiet, or `drainTimeout` has passed.
    func drainIsOver(_ drain: inout Drain) -> Bool {
        let now = ContinuousClock.now
        let sessions = status.withLock { $0.sessions }
        guard let started = drain.started else {
            drain.started = now
            draining.store(true, ordering: .relaxed)
            logger.notice("draining: serving the open sessions until they are closed or moved, then exiting",
                          metadata: ["sessions": "\(sessions)", "timeout": "\(options.drainTimeout)"])
            return sessions == 0
        }
        let why: String
        if sessions == 0 {
            why = "every session is closed"
        } else if now - lastControl.withLock({ $0 }) > Drain.quietCoordinator {
            why = "the coordinator is gone"
        } else if now - started > options.drainTimeout {
            why = "the drain timeout passed"
        } else {
            return false
        }
        logger.notice("drained: exiting", metadata: ["reason": "\(why)", "sessions": "\(sessions)"])
        return true
    }
}
