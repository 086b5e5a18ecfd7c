import Engine
import Foundation
import Sampling
import Wire

extension RemotePipeline {
    /// Opens the session on every stage. A stage that fails (a worker that restarted and lost its stage, or
    /// one that stopped answering) makes the coordinator set the pipeline up again and retry once.
    public func open(_ session: UInt64, options sessionOptions: SessionOptions) async throws {
        let request = OpenSession(sessionID: session, contextLength: UInt32(sessionOptions.contextLength),
                                  sampler: sessionOptions.sampler.wire, topLogprobs: UInt32(sessionOptions.topLogprobs))
        do {
            if !healthy.load(ordering: .relaxed) { try await connectPromotingStandbys() }
            try await openOnEveryStage(request)
        } catch let error as PipelineError where error.setupMayCure {
            logger.warning("setting the pipeline up again", metadata: ["reason": "\(error)"])
            try await connectPromotingStandbys()
            try await openOnEveryStage(request)
        }
        sessions.withLock { $0[session] = SessionState(options: sessionOptions) }
    }

    func openOnEveryStage(_ request: OpenSession) async throws {
        var opened: [WorkerLink] = []
        do {
            for link in links {
                _ = try await self.request(link, .openSession(request), timeout: options.controlTimeout)
                opened.append(link)
            }
        } catch {
            for link in opened {
                _ = try? await self.request(link, .closeSession(CloseSession(sessionID: request.sessionID)), timeout: options.controlTimeout)
            }
            throw error
        }
    }

    public func close(_ session: UInt64) async {
        sessions.withLock { $0[session] = nil }
        receiver.forget(session: session)
        for link in links {
            _ = try? await self.request(link, .closeSession(CloseSession(sessionID: session)), timeout: options.controlTimeout)
        }
    }

    /// Sends one step down the ring and waits for its result. With `recoverTimeout`, a step that fails because a
    /// stage died or lost its state waits for the pipeline to come back and is sent again (see `recover`).
    public func step(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        do {
            return try await send(session, tokens: tokens, sample: sample, promptLogprobs: promptLogprobs)
        } catch let error as PipelineError where error.kind == .unavailable && recovers {
            try await recover(session, after: error)
            return try await send(session, tokens: tokens, sample: sample, promptLogprobs: promptLogprobs)
        }
    }

    func send(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        guard let state = sessions.withLock({ $0[session] }) else { throw PipelineError.notReady("session \(session) is not open") }
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
        sessions.withLock { sessions in
            guard var s = sessions[session] else { return }
            s.history.removeSubrange(min(state.position, s.history.count)...)
            s.history.append(contentsOf: tokens)
            s.position = state.position + tokens.count
            sessions[session] = s
        }
        stats.withLock { s in
            s.steps += 1
            s.latencyMicroseconds += Int64(elapsed.microseconds)
            s.computeMicroseconds += result.timings.reduce(0) { $0 + Int64($1.computeMicroseconds) }
            s.bytesSent += bytes.count
        }
        options.onStageTimings?(result.timings.map { (Int($0.stageIndex), Double($0.computeMicroseconds) / 1e6) })
        return result.token.map { token in
            var sampled = SampledToken(id: token.tokenID, logprob: token.logprob, top: result.topLogprobs.map(Sampling.TokenLogprob.init))
            if promptLogprobs { Self.placePromptLogprobs(result.promptLogprobs, tokens: tokens, start: state.position, into: &sampled) }
            return sampled
        }
    }

    /// Lays the reported positions out one per batch token, as the in-process pipeline does (the first token of
    /// the batch has nothing predicting it: logprob 0, no alternatives).
    static func placePromptLogprobs(_ reported: [PositionLogprobs], tokens: [Int32], start: Int, into sampled: inout SampledToken) {
        var logprobs = tokens.map { Sampling.TokenLogprob(id: $0, logprob: 0) }
        var top: [[Sampling.TokenLogprob]] = Array(repeating: [], count: tokens.count)
        for p in reported {
            let i = Int(p.position) - start
            guard i > 0, i < tokens.count else { continue }
            logprobs[i] = Sampling.TokenLogprob(id: p.tokenID, logprob: p.logprob)
            top[i] = p.top.map(Sampling.TokenLogprob.init)
        }
        sampled.promptLogprobs = logprobs
        sampled.promptTop = top
    }

    /// The workers drop everything at and above `position` when the next Forward starts there.
    public func rewind(_ session: UInt64, to position: Int) async throws {
        try sessions.withLock { sessions in
            guard let state = sessions[session] else { throw PipelineError.notReady("session \(session) is not open") }
            guard position >= 0, position <= state.position else {
                throw PipelineError.notReady("cannot rewind session \(session) to \(position): it holds \(state.position) positions")
            }
            sessions[session]?.position = position
        }
    }
}
