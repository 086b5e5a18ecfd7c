import Llama
import Sampling
import Synchronization

/// A stage with its sessions: each session owns this stage's slice of the KV cache and, on the last stage, its
/// sampler (seed and token history). The same engine serves in-process generation and a `baton worker`.
/// The sessions' Mutex is held through each forward pass, which is what makes one `LlamaStage` (one scratch)
/// safe to share: one batch at a time, whoever calls.
public final class StageEngine: Sendable {
    public let stage: LlamaStage
    public let maxSessions: Int
    /// Open sessions; the lock is held through each forward pass (see StageEngine+Batch).
    let sessions = Mutex<[UInt64: Session]>([:])

    /// Invariant for `@unchecked Sendable`: a session's cache and sampler are used only inside `sessions.withLock`.
    final class Session: @unchecked Sendable {
        let cache: KVCache
        var sampler: Sampler
        let topLogprobs: Int
        let logprobs: Bool
        /// When a batch last ran it (or it was opened): sessions nobody uses expire (`closeIdle`).
        var lastUsed = ContinuousClock.now
        init(cache: KVCache, sampler: Sampler, topLogprobs: Int, logprobs: Bool) {
            self.cache = cache; self.sampler = sampler; self.topLogprobs = topLogprobs
            self.logprobs = logprobs || topLogprobs > 0
        }
    }

    /// Closed sessions kept for prompt-prefix reuse (StageEngine+Prefix). Locked after `sessions` when both are.
    let prefixCache: Mutex<PrefixCache>

    /// `prefixCacheBytes`: KV bytes of closed sessions to keep for reuse (0: closing frees a session's cache).
    public init(stage: LlamaStage, maxSessions: Int = 16, prefixCacheBytes: Int = 0) {
        self.stage = stage
        self.maxSessions = maxSessions
        prefixCache = Mutex(PrefixCache(limit: prefixCacheBytes))
    }

    public var isLast: Bool { stage.weights.spec.hasHead }
    public var sessionCount: Int { sessions.withLock { $0.count } }

    public func open(_ id: UInt64, options: SessionOptions) throws {
        try sessions.withLock { sessions in
            guard sessions[id] == nil else { throw StageError.sessionExists(id) }
            guard sessions.count < maxSessions else { throw StageError.tooManySessions(limit: maxSessions) }
            guard options.contextLength <= stage.maxContext else {
                throw StageError.contextTooLong(requested: options.contextLength, maximum: stage.maxContext)
            }
            let sampler = try Sampler(parameters: options.sampler)
            guard let cache = stage.makeCache(capacity: options.contextLength, type: options.kvType) else {
                throw StageError.outOfMemory(bytes: kvBytes(contextLength: options.contextLength, type: options.kvType))
            }
            sessions[id] = Session(cache: cache, sampler: sampler, topLogprobs: options.topLogprobs, logprobs: options.logprobs)
        }
    }

    /// Frees a session's KV cache, or keeps it in the prefix cache; false when it was not open (closing is
    /// idempotent).
    @discardableResult
    public func close(_ id: UInt64) -> Bool {
        sessions.withLock { sessions in
            guard let session = sessions.removeValue(forKey: id) else { return false }
            prefixCache.withLock { $0.keep(id, session) }
            return true
        }
    }

    /// Closes, as `close` does, the sessions no batch has run since `cutoff`: ones their coordinator leaked, or that
    /// a peer opened to hold the session limit. Returns their ids.
    public func closeIdle(since cutoff: ContinuousClock.Instant) -> [UInt64] {
        sessions.withLock { sessions in
            let idle = sessions.filter { $0.value.lastUsed < cutoff }.map(\.key)
            for id in idle {
                guard let session = sessions.removeValue(forKey: id) else { continue }
                prefixCache.withLock { $0.keep(id, session) }
            }
            return idle
        }
    }

    /// Frees every session and the prefix cache (their coordinator is gone); returns how many sessions were open.
    public func closeAll() -> Int {
        sessions.withLock { sessions in
            defer { sessions.removeAll(); prefixCache.withLock { $0.removeAll() } }
            return sessions.count
        }
    }

    /// Forgets a session's positions from `position` on, so the next batch starts there (a rewind).
    public func rewind(_ id: UInt64, to position: Int) throws {
        try withSession(id) { try $0.cache.truncate(to: position) }
    }

    /// KV bytes a session of `contextLength` positions takes on this stage.
    public func kvBytes(contextLength: Int, type: KVType) -> Int {
        KVCache.byteCount(layers: stage.weights.spec.layers.count, capacity: contextLength,
                          kvDimension: stage.config.kvDimension, type: type)
    }

    /// Positions held by a session so far.
    public func length(of id: UInt64) throws -> Int {
        try withSession(id) { $0.cache.length }
    }

    /// Runs one batch of one session. On the last stage with `sample`, the last row's logits are sampled. The
    /// batch's token ids (`batchTokens`, or the input itself when it is tokens) join the sampler's history first:
    /// every sampled token comes back as the next batch, so the repetition penalty sees the prompt and all
    /// generated tokens, as in llama.cpp. With `promptLogprobs`, each batch token's log-probability given its
    /// prefix is returned.
    public func run(_ id: UInt64, _ input: StageInput, batchTokens: [Int32]? = nil, sample: Bool = true,
                    promptLogprobs: Bool = false) throws -> StageOutput
    {
        try run(batch: [StageBatchItem(session: id, input: input, batchTokens: batchTokens, sample: sample,
                                       promptLogprobs: promptLogprobs)])[0].get()
    }

    func pick(_ session: Session, logits: UnsafeBufferPointer<Float>, promptLogprobs tokens: [Int32]?) -> SampledToken {
        let vocab = stage.config.vocabularySize
        let last = UnsafeBufferPointer(rebasing: logits[(logits.count - vocab)...])
        var scored: [TokenLogprob] = []
        var scoredTop: [[TokenLogprob]] = []
        if let tokens {
            // Row r predicts token r+1; the first token has no prediction in this batch.
            scored = tokens.enumerated().map { r, token in
                guard r > 0 else { return TokenLogprob(id: token, logprob: 0) }
                let row = UnsafeBufferPointer(rebasing: logits[((r - 1) * vocab)..<(r * vocab)])
                return TokenLogprob(id: token, logprob: Sampler.logprob(of: token, logits: row))
            }
            if session.topLogprobs > 0 {
                scoredTop = tokens.indices.map { r in
                    guard r > 0 else { return [] }
                    let row = UnsafeBufferPointer(rebasing: logits[((r - 1) * vocab)..<(r * vocab)])
                    return Sampler.topLogprobs(logits: row, count: session.topLogprobs)
                }
            }
        }
        let top = Sampler.topLogprobs(logits: last, count: session.topLogprobs)
        let id = session.sampler.sample(unchanged: last)
        let logprob = session.logprobs ? Sampler.logprob(of: id, logits: last) : 0
        return SampledToken(id: id, logprob: logprob, top: top, promptLogprobs: scored,
                            promptTop: scoredTop)
    }

    /// Runs `body` on session `id` with the sessions locked (so also one forward pass at a time).
    private func withSession<T: Sendable>(_ id: UInt64, _ body: (Session) throws -> T) throws -> T {
        try sessions.withLock { sessions in
            guard let session = sessions[id] else { throw StageError.unknownSession(id) }
            return try body(session)
        }
    }
}
