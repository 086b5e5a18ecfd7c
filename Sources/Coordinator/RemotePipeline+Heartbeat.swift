import Wire

extension RemotePipeline {
    /// Every `heartbeatInterval` each worker not heard from within it gets a Health request, except while a
    /// set-up talks to the workers. While the pipeline serves, a worker that turns dead, or answers that it lost
    /// its stage, fails every waiting step naming its stage; after a failure the beats go on, so liveness shows
    /// the stage dead and then back. A step past `stepTimeout` fails on its own, whatever the pipeline's state.
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
            receiver.failSteps(sentBefore: .now - limit) { _ in PipelineError.stepTimedOut(after: limit) }
        }
        guard !settingUp else { return }
        let serving = healthy.load(ordering: .relaxed)
        let lost = await withTaskGroup(of: PipelineError?.self) { group in
            for link in links where liveness.heartbeatDue(link.stageIndex) {
                group.addTask { await self.ping(link) }
            }
            return await group.reduce(into: [PipelineError]()) { if let e = $1 { $0.append(e) } }
        }
        var failures = lost
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

    /// One heartbeat: nil while the stage is fine or merely silent (liveness judges silence); an error when the
    /// worker answers that it has lost its stage (it restarted).
    private func ping(_ link: WorkerLink) async -> PipelineError? {
        let lost = PipelineError.unavailable(stage: link.stageIndex, endpoint: link.endpoint, reason: "it has no stage loaded (it restarted?)")
        do {
            guard case .healthReply(let health) = try await request(link, .health, timeout: options.heartbeatInterval),
                  health.loaded else { return lost }
            return nil
        } catch {
            return error.answered && error.setupMayCure ? lost : nil
        }
    }
}
