import Synchronization

/// Caps the generations in flight. A request over the cap is answered at once with 503 and `Retry-After`
/// instead of waiting in an unbounded queue (each generation holds a KV cache on every worker).
public final class SessionLimiter: Sendable {
    public let limit: Int
    private let active = Mutex(0)

    public init(limit: Int) { self.limit = limit }

    public var count: Int { active.withLock { $0 } }

    /// A permit, or a 503 when `limit` generations are running.
    func acquire() throws -> SessionPermit {
        let granted = active.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
        guard granted else {
            throw APIError.unavailable("the server is busy: all \(limit) sessions are in use; retry shortly",
                                       retryAfter: 1, code: "server_busy")
        }
        return SessionPermit(limiter: self)
    }

    fileprivate func release() {
        active.withLock { $0 -= 1 }
    }
}

/// One slot of the limiter; released once, explicitly or when dropped.
final class SessionPermit: Sendable {
    private let limiter: SessionLimiter
    private let released = Atomic(false)

    fileprivate init(limiter: SessionLimiter) { self.limiter = limiter }

    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { limiter.release() }
    }

    deinit { release() }
}
