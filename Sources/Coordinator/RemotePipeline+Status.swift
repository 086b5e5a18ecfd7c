import Wire

/// One stage as its worker reports it (for a health endpoint or a status display).
public struct StageStatus: Sendable, Equatable, Codable {
    public var index: Int
    public var endpoint: String
    /// First and one-past-last layer this stage was asked to hold.
    public var layerBegin: Int
    public var layerEnd: Int
    /// Whether the worker answered and has the stage loaded.
    public var loaded: Bool
    public var sessions: Int
    public var maxSessions: Int
    public var forwardsDone: UInt64
    /// The worker process's peak resident set since it started (VmHWM).
    public var peakResidentBytes: UInt64 = 0
    /// Why the stage is not usable, when it is not.
    public var problem: String?
    /// The coordinator's view from heartbeats: alive, suspect or dead.
    public var liveness = "alive"
}

extension RemotePipeline {
    /// Each stage's liveness from the heartbeats (alive, suspect or dead), without asking any worker.
    public func stageLiveness() -> [String] {
        links.map { liveness.state($0.stageIndex).rawValue }
    }

    /// Asks every worker for its health, with a short timeout each.
    public func stageStatus(timeout: Duration = .milliseconds(500)) async -> [StageStatus] {
        var statuses: [StageStatus] = []
        for link in links {
            let spec = plan.spec(link.stageIndex)
            var status = StageStatus(index: link.stageIndex, endpoint: link.endpoint, layerBegin: spec.layers.lowerBound,
                                     layerEnd: spec.layers.upperBound, loaded: false, sessions: 0, maxSessions: 0,
                                     forwardsDone: 0, problem: nil)
            status.liveness = liveness.state(link.stageIndex).rawValue
            do {
                guard case .healthReply(let health) = try await request(link, .health, timeout: timeout) else {
                    status.problem = "unexpected reply to a health request"
                    statuses.append(status)
                    continue
                }
                status.loaded = health.loaded
                status.sessions = Int(health.sessions)
                status.maxSessions = Int(health.maxSessions)
                status.forwardsDone = health.forwardsDone
                status.peakResidentBytes = health.peakResidentBytes
                if !health.loaded { status.problem = "no stage loaded (the worker restarted?)" }
            } catch {
                status.problem = "the worker does not answer: \(error)"
            }
            statuses.append(status)
        }
        return statuses
    }
}

/// What a worker offers, from its HelloReply: for `baton plan`, which loads nothing.
public struct WorkerOffer: Sendable, Equatable {
    public var endpoint: String
    public var workerID: String
    public var threads: Int
    /// `--max-memory` or the worker's default (available memory minus a margin); 0 = not reported.
    public var budgetBytes: Int
    public var totalMemoryBytes: Int
}

extension RemotePipeline {
    /// Greets every worker without loading anything.
    public func survey() async throws -> [WorkerOffer] {
        var offers: [WorkerOffer] = []
        for link in links {
            let hello = try await link.greet(timeout: options.controlTimeout)
            offers.append(WorkerOffer(endpoint: link.endpoint, workerID: hello.workerID, threads: Int(hello.threads),
                               budgetBytes: Int(clamping: hello.memoryBudgetBytes),
                               totalMemoryBytes: Int(clamping: hello.totalMemoryBytes)))
        }
        return offers
    }
}
