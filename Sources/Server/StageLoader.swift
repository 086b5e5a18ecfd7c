import Logging
import ServiceLifecycle

/// Loads the stages on the workers while the HTTP server already answers (/health says "loading"), retrying
/// until every worker is up, so the coordinator may start before its workers (systemd, scripts).
public struct StageLoader: Service {
    let connect: @Sendable (_ progress: @escaping @Sendable (String) -> Void) async throws -> Void
    let readiness: Readiness
    let retryEvery: Duration
    let logger = Logger(label: "baton.server.loader")

    public init(readiness: Readiness, retryEvery: Duration = .seconds(2),
                connect: @escaping @Sendable (_ progress: @escaping @Sendable (String) -> Void) async throws -> Void) {
        self.readiness = readiness
        self.retryEvery = retryEvery
        self.connect = connect
    }

    public func run() async throws {
        var attempt = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            attempt += 1
            do {
                try await connect { [readiness, logger] message in
                    readiness.progress(message)
                    logger.notice("\(message)")
                }
                readiness.set(.ready)
                logger.notice("every stage is loaded: ready")
                break
            } catch {
                readiness.set(.loading("waiting for the workers (attempt \(attempt)): \(error)"))
                logger.warning("loading the stages failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: retryEvery)
            }
        }
        // A service that returns would end the group: stay until shutdown.
        try? await gracefulShutdown()
    }
}
