import Foundation
import Sampling
import Wire
import Worker

extension RemotePipeline {
    /// Opens the session on every stage. A stage that fails (a worker that restarted and lost its stage, or
    /// one that stopped answering) makes the coordinator set the pipeline up again and retry once.
    public func open(_ session: UInt64, options sessionOptions: SessionOptions) async throws {
        let request = OpenSession(sessionID: session, contextLength: UInt32(sessionOptions.contextLength),
                                  sampler: sessionOptions.sampler.wire, topLogprobs: UInt32(sessionOptions.topLogprobs))
        do {
            if !healthy.load(ordering: .relaxed) { try await offload { try self.connect() } }
            try await openOnEveryStage(request)
        } catch let error as PipelineError where error.isStageFailure {
            logger.warning("setting the pipeline up again", metadata: ["reason": "\(error)"])
            try await offload { try self.connect() }
            try await openOnEveryStage(request)
        }
        sessions.withLock { $0[session] = SessionState(position: 0, step: 0) }
    }

    private func openOnEveryStage(_ request: OpenSession) async throws {
        var opened: [WorkerLink] = []
        do {
            for link in links {
                _ = try await offload { try link.request(.openSession(request), timeout: self.options.controlTimeout) }
                opened.append(link)
            }
        } catch {
            for link in opened {
                _ = try? await offload { try link.request(.closeSession(CloseSession(sessionID: request.sessionID)), timeout: self.options.controlTimeout) }
            }
            throw error
        }
    }

    public func close(_ session: UInt64) async {
        sessions.withLock { $0[session] = nil }
        receiver.forget(session: session)
        for link in links {
            _ = try? await offload { try link.request(.closeSession(CloseSession(sessionID: session)), timeout: self.options.controlTimeout) }
        }
    }

    public func step(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        guard let state = sessions.withLock({ $0[session] }) else { throw PipelineError.notConnected("session \(session) is not open") }
        let step = state.step + 1
        let key = ResultReceiver.Key(session: session, step: step)
        receiver.expect(key)
        let forward = Forward(sessionID: session, step: step, startPosition: UInt32(state.position), tokens: tokens,
                              sample: sample, promptLogprobs: promptLogprobs)
        let bytes = Envelope(requestID: 0, message: .forward(forward)).encode()
        let sent = ContinuousClock.now
        try toFirstStage.withLock { push in try push.socket.send(bytes, timeout: options.controlTimeout) }
        sessions.withLock { $0[session]?.step = step }
        let result = try await receiver.wait(key)
        let elapsed = ContinuousClock.now - sent
        sessions.withLock { $0[session]?.position = state.position + tokens.count }
        stats.withLock { s in
            s.steps += 1
            s.latencyMicroseconds += elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            s.computeMicroseconds += result.timings.reduce(0) { $0 + Int64($1.computeMicroseconds) }
            s.bytesSent += bytes.count
        }
        options.onStageTimings?(result.timings.map { (Int($0.stageIndex), Double($0.computeMicroseconds) / 1e6) })
        return result.token.map { token in
            var sampled = SampledToken(id: token.tokenID, logprob: token.logprob, top: result.topLogprobs.map(TokenLogprob.init))
            if promptLogprobs { Self.placePromptLogprobs(result.promptLogprobs, tokens: tokens, start: state.position, into: &sampled) }
            return sampled
        }
    }

    /// Lays the reported positions out one per batch token, as the in-process pipeline does (the first token of
    /// the batch has nothing predicting it: logprob 0, no alternatives).
    static func placePromptLogprobs(_ reported: [PositionLogprobs], tokens: [Int32], start: Int, into sampled: inout SampledToken) {
        var logprobs = tokens.map { Worker.TokenLogprob(id: $0, logprob: 0) }
        var top: [[Worker.TokenLogprob]] = Array(repeating: [], count: tokens.count)
        for p in reported {
            let i = Int(p.position) - start
            guard i > 0, i < tokens.count else { continue }
            logprobs[i] = Worker.TokenLogprob(id: p.tokenID, logprob: p.logprob)
            top[i] = p.top.map(Worker.TokenLogprob.init)
        }
        sampled.promptLogprobs = logprobs
        sampled.promptTop = top
    }

    /// The workers drop everything at and above `position` when the next Forward starts there.
    public func rewind(_ session: UInt64, to position: Int) async throws {
        try sessions.withLock { sessions in
            guard let state = sessions[session] else { throw PipelineError.notConnected("session \(session) is not open") }
            guard position >= 0, position <= state.position else {
                throw PipelineError.notConnected("cannot rewind session \(session) to \(position): it holds \(state.position) positions")
            }
            sessions[session]?.position = position
        }
    }

    /// Called by the watchdog thread: when a step has waited longer than the stall timeout, checks every
    /// stage's health, and if one is dead or lost its state, ends every waiting step with an error naming it.
    /// A long but healthy step (a big prompt chunk) is re-checked once per stall timeout.
    func checkForStalls() {
        let now = ContinuousClock.now
        guard let oldest = receiver.oldestPending(), now - oldest > options.stallTimeout,
              lastHealthCheck.withLock({ now - $0 > options.stallTimeout }) else { return }
        lastHealthCheck.withLock { $0 = now }
        do { try checkStages() } catch {
            logger.error("stage failure", metadata: ["error": "\(error)"])
            healthy.store(false, ordering: .relaxed)
            receiver.failAll(error)
        }
    }

    /// Health of every stage, with a short timeout: throws `.unavailable` for the first that fails.
    public func checkStages() throws {
        for link in links {
            let reply: WireMessage
            do { reply = try link.request(.health, timeout: .milliseconds(400)) } catch {
                throw PipelineError.unavailable(index: link.stageIndex, endpoint: link.endpoint, reason: "it does not answer")
            }
            guard case .healthReply(let health) = reply, health.loaded else {
                throw PipelineError.unavailable(index: link.stageIndex, endpoint: link.endpoint,
                                                reason: "it has no stage loaded (it restarted?)")
            }
        }
    }
}
