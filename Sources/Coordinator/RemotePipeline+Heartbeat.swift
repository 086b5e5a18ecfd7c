import Wire

extension RemotePipeline {
    /// Every `heartbeatInterval` each worker not heard from within it gets a Health request, except while a
    /// set-up talks to the workers. While the pipeline serves, a worker that turns dead, or answers that it lost
    /// its stage, fails every waiting step naming its stage; after a failure the beats go on, so liveness shows
    /// the stage dead and then back. A step past `stepTimeout` fails on its own, whatever the pipeline's state, and the
    /// next request sets the pipeline up again.
    /// The task holds the pipeline only while it beats.
    func startHeartbeat() {
        let interval = options.heartbeatInterval
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                await self.beat()
            }
        }
        heartbeat.withLock { $0 = task }
    }

    func beat() async {
        defer {
            let limit = options.stepTimeout
            let expired = receiver.failSteps(sentBefore: .now - limit) { _ in PipelineError.stepTimedOut(after: limit) }
            // A stage holds steps it never answers (re-pointed elsewhere by a peer, or stuck) although every worker
            // beats: the next request sets the ring up again, which re-points every stage.
            if expired > 0 {
                logger.warning("steps past --step-timeout: the next request sets the pipeline up again", metadata: ["steps": "\(expired)"])
                healthy.store(false, ordering: .relaxed)
            }
        }
        guard !settingUp else { return }
        let serving = healthy.load(ordering: .relaxed)
        // Quiet workers every beat; every worker at least every 4th, so a draining one is seen within a second
        // even while results stream.
        let everyone = beats.add(1, ordering: .relaxed).newValue % 4 == 0
        let outcomes = await withTaskGroup(of: (Int, Ping).self) { group in
            for link in links where everyone || liveness.heartbeatDue(link.stageIndex) {
                group.addTask { (link.stageIndex, await self.ping(link)) }
            }
            return await group.reduce(into: [(Int, Ping)]()) { $0.append($1) }
        }
        var failures: [PipelineError] = []
        for (stage, outcome) in outcomes {
            switch outcome {
            case .fine: break
            case .lost(let error): failures.append(error)
            case .draining: if serving { await moveDrainingStage(stage) }
            }
        }
        for (i, change) in liveness.update() {
            logger.notice("stage \(i) is \(change.to.rawValue)", metadata: ["was": "\(change.from.rawValue)"])
            if change.to == .dead {
                failures.append(.unavailable(stage: i, endpoint: links[i].endpoint, reason: "it has not answered for \(options.deadAfter)"))
            }
        }
        if serving, let first = failures.first {
            logger.error("stage failure", metadata: ["error": "\(first)"])
            healthy.store(false, ordering: .relaxed)
            receiver.failAll(first)
        }
    }

    enum Ping {
        /// Fine, or merely silent (liveness judges silence).
        case fine
        /// It answered that it has no stage loaded (it restarted).
        case lost(PipelineError)
        /// It is draining after SIGTERM.
        case draining
    }

    /// One heartbeat.
    private func ping(_ link: WorkerLink) async -> Ping {
        let lost = PipelineError.unavailable(stage: link.stageIndex, endpoint: link.endpoint, reason: "it has no stage loaded (it restarted?)")
        do {
            guard case .healthReply(let health) = try await request(link, .health, timeout: options.heartbeatInterval),
                  health.loaded else { return .lost(lost) }
            return health.draining ? .draining : .fine
        } catch {
            return error.answered && error.setupMayCure ? .lost(lost) : .fine
        }
    }
}
