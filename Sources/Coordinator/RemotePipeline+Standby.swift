import Wire

extension RemotePipeline {
    /// Whether a step that lost a stage tries to recover: with `--recover-timeout`, or with standbys to take over.
    var recovers: Bool { options.recoverTimeout > .zero || !options.standbys.isEmpty }

    /// A stage's worker is draining (SIGTERM): the next standby takes the stage, the worker's sessions are closed
    /// there (so it can exit), and the steps waiting on the pipeline fail as unavailable, which makes each
    /// request recover on the new pipeline with the same tokens. Without a standby the sessions finish where
    /// they are.
    func moveDrainingStage(_ stage: Int) async {
        let old = links[stage]
        guard drainingSeen.withLock({ $0.insert(old.endpoint).inserted }) else { return }
        let reason = PipelineError.unavailable(stage: stage, endpoint: old.endpoint,
                                               reason: "its worker is draining (SIGTERM): moving the stage to a standby")
        guard (try? promoteStandby(to: stage, after: reason)) == true else {
            logger.warning("a stage's worker is draining and no standby is left: its sessions finish there",
                           metadata: ["stage": "\(stage)", "worker": "\(old.endpoint)"])
            return
        }
        healthy.store(false, ordering: .relaxed)
        receiver.failAll(reason)
        for session in sessions.withLock({ Array($0.keys) }) {
            _ = try? await request(old, .closeSession(CloseSession(sessionID: session)), timeout: options.controlTimeout)
        }
    }

    /// Sets the pipeline up. When a stage's worker is unavailable and a standby is left, the standby takes that
    /// stage (the same layers, loaded from its weight cache or streamed) and set-up runs again: once per standby
    /// at most, so a cluster without working standbys fails with the last error.
    func connectPromotingStandbys() async throws {
        // A stage the heartbeats already found dead gets its standby now, without a set-up waiting on it first.
        for stage in 0..<stageCount where liveness.state(stage) == .dead {
            let dead = PipelineError.unavailable(stage: stage, endpoint: links[stage].endpoint, reason: "its worker is dead")
            guard try promoteStandby(to: stage, after: dead) else { break }
        }
        while true {
            do { return try await connect() } catch let error as PipelineError where error.kind == .unavailable {
                guard let stage = error.stage, try promoteStandby(to: stage, after: error) else { throw error }
            }
        }
    }

    /// Puts the next standby in place of stage `stage`'s worker; false when none is left.
    func promoteStandby(to stage: Int, after failure: PipelineError) throws -> Bool {
        guard stage < stageCount, let standby = standbyPool.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
            return false
        }
        let endpoint = standby.endpoint
        var linkOptions = ZMQSocketOptions.control
        if let security = options.security, let key = standby.key {
            linkOptions = security.controlOptions(serverKey: key)
            stageKeys.withLock { $0[stage] = key }
            // The set-up that follows loads every stage with the new hop keys; the result socket must admit the
            // new last stage before that one's PUSH connects.
            if stage == stageCount - 1, let authenticator, let resultsDomain { authenticator.allow(resultsDomain, keys: [key]) }
        }
        let link = try WorkerLink(context: context, endpoint: endpoint, stageIndex: stage, options: linkOptions)
        let replaced = linkTable.withLock { table -> String in
            defer { table[stage] = link }
            return table[stage].endpoint
        }
        liveness.heard(stage)
        logger.notice("standby promoted", metadata: [
            "stage": "\(stage)", "standby": "\(endpoint)", "replaces": "\(replaced)", "reason": "\(failure)"])
        return true
    }
}
