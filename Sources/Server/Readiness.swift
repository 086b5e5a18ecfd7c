import Coordinator
import Synchronization

/// Whether the stages are loaded. The HTTP server starts listening first (so /health can say "loading");
/// generation endpoints answer 503 until every stage is ready.
public final class Readiness: Sendable {
    public enum State: Sendable, Equatable {
        case loading(String)
        case ready
        case failed(String)
    }

    private let state = Mutex(State.loading("connecting to the workers"))

    public init() {}

    public var current: State { state.withLock { $0 } }

    public func set(_ new: State) { state.withLock { $0 = new } }

    /// Progress while loading (kept unless loading already ended).
    public func progress(_ message: String) {
        state.withLock { if case .loading = $0 { $0 = .loading(message) } }
    }

    /// Throws 503 unless ready.
    func require() throws {
        switch current {
        case .ready: return
        case .loading(let what): throw APIError.unavailable("the model is loading (\(what)); retry shortly", retryAfter: 2, code: "loading")
        case .failed(let why): throw APIError.unavailable("the model failed to load: \(why)", code: "load_failed")
        }
    }
}
