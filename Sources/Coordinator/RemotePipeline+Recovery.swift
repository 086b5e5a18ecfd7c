import Engine
import Wire

extension RemotePipeline {
    /// After a stage died or lost its state under `session`: waits up to `recoverTimeout` for the pipeline to be
    /// set up again (the worker came back, or a standby took its place), opens the session afresh on every stage
    /// and evaluates its history again, so the step that failed can be sent once more. Greedy output is what an
    /// undisturbed run gives; a seeded sampler starts its random stream over.
    func recover(_ session: UInt64, after failure: PipelineError) async throws {
        guard let state = sessions.withLock({ $0[session] }) else { throw failure }
        logger.warning("waiting for the pipeline to recover", metadata: [
            "session": "\(session)", "reason": "\(failure)", "timeout": "\(options.recoverTimeout)"])
        try await reconnect(before: ContinuousClock.now + options.recoverTimeout, failure: failure)
        receiver.forget(session: session)
        let close = CloseSession(sessionID: session)
        for link in links { _ = try? await request(link, .closeSession(close), timeout: options.controlTimeout) }
        try await openOnEveryStage(OpenSession(session, state.options))
        // Step numbers keep counting up, so a late result of the lost step cannot pass for a new one.
        sessions.withLock { $0[session] = SessionState(options: state.options, step: state.step) }
        let history = state.history.prefix(state.position)
        var start = history.startIndex
        while start < history.endIndex {
            let end = min(start + maxBatch, history.endIndex)
            _ = try await send(session, tokens: Array(history[start..<end]), sample: false, promptLogprobs: false)
            start = end
        }
        logger.notice("recovered", metadata: ["session": "\(session)", "positions": "\(history.count)"])
    }

    /// Sets the pipeline up again, retrying every heartbeat interval until `deadline`.
    private func reconnect(before deadline: ContinuousClock.Instant, failure: PipelineError) async throws {
        while true {
            do { return try await connectPromotingStandbys() } catch {
                guard ContinuousClock.now + options.heartbeatInterval < deadline else {
                    throw PipelineError.notRecovered(failure, within: options.recoverTimeout, lastAttempt: error)
                }
                try await Task.sleep(for: options.heartbeatInterval)
            }
        }
    }
}
