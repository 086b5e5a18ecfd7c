import Logging
import Synchronization

/// Logs a warning that any peer can cause at will (an unreadable message, junk on a data port) at most once per
/// `interval`, folding the others into a count on the next line it lets through, so a flood of junk does not
/// flood the log as well.
public final class LogThrottle: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let state = Mutex(State())
    private let interval: Duration

    public init(interval: Duration = .seconds(1)) { self.interval = interval }

    public func warning(_ logger: Logger, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { s in
            if let last = s.last, now - last < interval {
                s.suppressed += 1
                return nil
            }
            defer { (s.last, s.suppressed) = (now, 0) }
            return s.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed_since_last"] = "\(suppressed)" }
        logger.warning(message(), metadata: metadata)
    }
}
