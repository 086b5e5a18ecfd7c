import Engine
import Foundation
import Sampling
import Wire

extension RemotePipeline {
    /// Opens the session on every stage. A stage that fails (a worker that restarted and lost its stage, or
    /// one that stopped answering) makes the coordinator set the pipeline up again and retry once.
    public func open(_ session: UInt64, options sessionOptions: SessionOptions) async throws {
        let request = OpenSession(session, sessionOptions)
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
        let closed = sessions.withLock { $0.removeValue(forKey: session) }
        if let closed { prefixIndex.withLock { $0.closing(session, tokens: Array(closed.history.prefix(closed.position))) } }
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

    /// Evaluates a prompt in chunks of `prefillChunk` tokens sent one behind the other without waiting, so stage
    /// k+1 computes chunk i while stage k computes chunk i+1 (with `prefillChunk` 0, batches of `maxBatch`
    /// awaited one by one). Recovers as `step` does.
    public func prefill(_ session: UInt64, tokens prompt: [Int32], sample: Bool) async throws -> SampledToken? {
        let fresh = sessions.withLock { $0[session]?.position == 0 }
        let reused = fresh && options.reusePrefixes ? await reusePrefix(session, prompt: prompt) : 0
        let tokens = prompt[reused...]
        let size = options.prefillChunk > 0 ? min(options.prefillChunk, maxBatch) : maxBatch
        let chunks = stride(from: tokens.startIndex, to: tokens.endIndex, by: size).map {
            Array(tokens[$0..<min($0 + size, tokens.endIndex)])
        }
        let pipelined = options.prefillChunk > 0
        var sampled: SampledToken?
        for group in pipelined ? [chunks[...]] : chunks.indices.map({ chunks[$0...$0] }) {
            try Task.checkCancellation()
            let last = group.endIndex == chunks.endIndex
            do {
                sampled = try await send(session, chunks: Array(group), sample: sample && last, promptLogprobs: false)
            } catch let error as PipelineError where error.kind == .unavailable && recovers {
                try await recover(session, after: error)
                sampled = try await send(session, chunks: Array(group), sample: sample && last, promptLogprobs: false)
            }
        }
        return sampled
    }

    func send(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        try await send(session, chunks: [tokens], sample: sample, promptLogprobs: promptLogprobs)
    }

    /// Sends consecutive chunks of one session down the ring at once (one Forward each; only the last may
    /// sample) and waits for all their results. The session advances only when every chunk has been evaluated,
    /// so a failed or recovered send starts again from where it stood.
    func send(_ session: UInt64, chunks: [[Int32]], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        guard let state = sessions.withLock({ $0[session] }) else { throw PipelineError.notReady("session \(session) is not open") }
        var position = state.position
        var forwards: [Forward] = []
        for (k, tokens) in chunks.enumerated() {
            let last = k == chunks.count - 1
            forwards.append(Forward(sessionID: session, step: state.step + 1 + UInt64(k), startPosition: UInt32(position),
                                    tokens: tokens, sample: sample && last, promptLogprobs: promptLogprobs))
            position += tokens.count
        }
        let keys = forwards.map { ResultReceiver.Key(session: session, step: $0.step) }
        keys.forEach(receiver.expect)
        let encoded = forwards.map { Envelope(requestID: 0, message: .forward($0)).encode() }
        let sent = ContinuousClock.now
        try toFirstStage.withLock { push in
            for bytes in encoded { try push.socket.send(bytes, timeout: options.controlTimeout) }
        }
        sessions.withLock { $0[session]?.step = state.step + UInt64(chunks.count) }
        var results: [TokenResult] = []
        for key in keys { results.append(try await receiver.wait(key)) }
        let elapsed = ContinuousClock.now - sent
        sessions.withLock { sessions in
            guard var s = sessions[session] else { return }
            s.history.removeSubrange(min(state.position, s.history.count)...)
            s.history.append(contentsOf: chunks.joined())
            s.position = position
            sessions[session] = s
        }
        record(results, latency: elapsed, bytes: encoded.reduce(0) { $0 + $1.count })
        guard let result = results.last else { return nil }
        return result.token.map { token in
            var sampled = SampledToken(id: token.tokenID, logprob: token.logprob, top: result.topLogprobs.map(Sampling.TokenLogprob.init))
            if promptLogprobs, let tokens = chunks.last {
                Self.placePromptLogprobs(result.promptLogprobs, tokens: tokens, start: position - tokens.count, into: &sampled)
            }
            return sampled
        }
    }

    private func record(_ results: [TokenResult], latency: Duration, bytes: Int) {
        stats.withLock { s in
            s.steps += results.count
            s.latencyMicroseconds += Int64(latency.microseconds)
            s.computeMicroseconds += results.reduce(0) { $0 + $1.timings.reduce(0) { $0 + Int64($1.computeMicroseconds) } }
            s.bytesSent += bytes
        }
        guard let report = options.onStageTimings else { return }
        for result in results {
            report(result.timings.map {
                StageStepTiming(stage: Int($0.stageIndex), computeSeconds: Double($0.computeMicroseconds) / 1e6,
                                queueSeconds: Double($0.queueMicroseconds) / 1e6, batchSessions: Int($0.batchSessions))
            })
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
