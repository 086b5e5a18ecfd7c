import Engine
import Foundation
import GGUF
import Llama
import Sampling
import Wire

/// A loaded stage on a worker.
final class LoadedStage {
    let request: LoadStage
    let engine: StageEngine
    let kvType: Llama.KVType
    /// PUSH to the next stage's data endpoint (or the coordinator's, from the last stage).
    let next: ZMQSocket
    /// The CURVE key (Z85) of the coordinator that loaded it: only that key may reload it or open and close its
    /// sessions. nil without keys.
    let owner: String?
    /// With keys: the only sender whose data messages this stage computes.
    let previousHopKey: CurveKey?
    /// Weights + KV caches + scratch it was admitted with (against the budget, when another stage is loaded next).
    var footprintBytes = 0
    var forwardsDone: UInt64 = 0
    var bytesSent: UInt64 = 0
    var messagesSent: UInt64 = 0
    /// Encoded results the next hop has not taken yet (ComputeLoop.flush); dropped with this stage on a reload,
    /// whose coordinator replays what was lost.
    var outbox: [[UInt8]] = []

    init(request: LoadStage, engine: StageEngine, kvType: Llama.KVType, next: ZMQSocket, owner: String?, previousHopKey: CurveKey?) {
        self.request = request; self.engine = engine; self.kvType = kvType; self.next = next
        self.owner = owner; self.previousHopKey = previousHopKey
    }
}

extension ComputeLoop {
    /// Loads a stage, or — when the same stage is already loaded — only points it at a new next hop. A load that
    /// fails leaves the running stage as it was (see `loadEngine` for the one exception).
    func load(_ request: LoadStage, owner: String?) -> WireMessage {
        let start = ContinuousClock.now
        do {
            guard let kvType = Llama.KVType(request.kvType) else {
                return .error(ErrorMessage(code: .badRequest, message: "kv_type must be f16 or f32"))
            }
            var hopKeys: WorkerCurve.HopKeys?
            if server.curve != nil {
                let checked = WorkerCurve.hopKeys(request)
                if let refusal = checked.refusal { return .error(refusal) }
                hopKeys = checked.keys
            }
            let stage: StageEngine
            var footprint = loaded?.footprintBytes ?? 0
            var fromCache = false
            if let loaded, loaded.request.sameStage(as: request) {
                stage = loaded.engine
            } else {
                switch try weightSource(request) {
                case .file(let path):
                    (stage, footprint) = try loadEngine(request, path: path)
                case .cache(let entry):
                    do {
                        (stage, footprint) = try loadEngine(request, path: entry.modelPath, covered: entry.coveredRanges())
                    } catch {
                        // Verified bytes that still do not make this stage (e.g. a tensor missing): never use it.
                        logger.warning("cache entry unusable: deleted, fetching again", metadata: [
                            "entry": "\(entry.directory)", "reason": "\(error)"])
                        entry.remove()
                        return .loadStageReply(LoadStageReply(weightBytes: 0, kvBytesPerSession: 0, loadMilliseconds: 0,
                                                              nEmbd: 0, nLayersTotal: 0, weightsRequired: true))
                    }
                    fromCache = true
                case .required:
                    return .loadStageReply(LoadStageReply(weightBytes: 0, kvBytesPerSession: 0, loadMilliseconds: 0,
                                                          nEmbd: 0, nLayersTotal: 0, weightsRequired: true))
                }
            }
            let limits = DataLimits(embedding: stage.stage.config.embeddingLength, maxBatch: server.options.maxBatch)
            try inlet?.rebind(limits)
            let next = try nextHopSocket(request, keys: hopKeys, queue: limits.queueMessages)
            let previous = loaded
            if let curve = server.curve, let hopKeys { curve.authenticator.allow(curve.data, keys: [hopKeys.previous]) }
            loaded = LoadedStage(request: request, engine: stage, kvType: kvType, next: next, owner: owner,
                                 previousHopKey: hopKeys?.previous)
            loaded?.footprintBytes = footprint
            loaded?.forwardsDone = previous?.forwardsDone ?? 0
            loaded?.bytesSent = previous?.bytesSent ?? 0
            loaded?.messagesSent = previous?.messagesSent ?? 0
            let config = stage.stage.config
            return .loadStageReply(LoadStageReply(
                weightBytes: UInt64(stage.stage.weights.byteCount),
                kvBytesPerSession: UInt64(stage.kvBytes(contextLength: Int(request.contextLength), type: kvType)),
                loadMilliseconds: UInt32(clamping: (ContinuousClock.now - start).microseconds / 1000),
                nEmbd: UInt32(config.embeddingLength), nLayersTotal: UInt32(config.blockCount), fromCache: fromCache))
        } catch {
            logger.error("load failed", metadata: ["error": "\(error)"])
            let code: ErrorCode = if case StageError.overBudget = error { .resourceExhausted } else { .loadFailed }
            return .error(ErrorMessage(code: code, message: "\(error)"))
        }
    }

    /// Maps the model at `path` and builds the stage. `covered`: for a cache entry, the byte ranges it holds;
    /// every tensor the stage reads must lie inside one (elsewhere the sparse file holds zeros).
    private func loadEngine(_ request: LoadStage, path: String, covered: [Range<UInt64>]? = nil) throws
        -> (engine: StageEngine, bytes: Int)
    {
        let file = try GGUFFile(path: path)
        let config = try Self.config(file, for: request)
        try Self.checkDataMessages(config: config, maxBatch: server.options.maxBatch)
        guard request.layerBegin <= request.layerEnd else {
            throw LlamaError.invalidLayerRange(requested: 0..<0, blockCount: config.blockCount)
        }
        let spec = StageSpec(layers: Int(request.layerBegin)..<Int(request.layerEnd),
                             hasEmbedding: request.isFirst, hasHead: request.isLast)
        let need = try checkBudget(file: file, config: config, spec: spec, request: request)
        if let covered { try Self.checkCoverage(file: file, config: config, spec: spec, covered: covered, path: path) }
        // Everything that can refuse the request cheaply has passed. The running stage stays loaded unless both
        // cannot fit the budget together; only then is it freed before the new one is mapped (a failure while
        // mapping then leaves no stage, which the coordinator sees as NOT_LOADED and reloads).
        if let loaded, loaded.footprintBytes > server.options.memoryBudget - need {
            logger.notice("unloading the running stage to make room for the new one")
            self.loaded = nil
        }
        logger.info("loading stage", metadata: ["model": "\(path)", "stage": "\(spec)"])
        var lastLogged = 0
        let weights = try StageWeights(file: file, config: config, spec: spec) { [logger] done, total in
            guard done * 10 / max(total, 1) > lastLogged * 10 / max(total, 1) || done == total else { return }
            lastLogged = done
            logger.info("loading weights", metadata: ["mb": "\(done >> 20)/\(total >> 20)"])
        }
        let context = max(1, Int(request.contextLength))
        let stage = LlamaStage(weights: weights, pool: pool, maxBatch: server.options.maxBatch, maxContext: context)
        // The prefix cache takes only what the stage leaves of the budget (every session's KV is already in `need`).
        let prefixCache = min(server.options.prefixCacheBytes, max(0, server.options.memoryBudget - need))
        return (StageEngine(stage: stage, maxSessions: max(1, Int(request.maxSessions)), prefixCacheBytes: prefixCache), need)
    }

    /// A chunk of `maxBatch` hidden rows (f32) must fit one data message: past ZMQ_MAXMSGSIZE libzmq drops the
    /// connection instead, and the step would go unanswered until its deadline.
    static func checkDataMessages(config: LlamaConfig, maxBatch: Int) throws {
        let limit = Envelope.defaultMaxSize - (1 << 20)   // room for the envelope and positions
        let row = config.embeddingLength * MemoryLayout<Float>.size
        let (bytes, overflow) = maxBatch.multipliedReportingOverflow(by: row)
        guard overflow || bytes > limit else { return }
        throw WeightSourceError(description: "--batch-size \(maxBatch) × n_embd \(config.embeddingLength) makes data messages of "
                                + "\(overflow ? "over \(Int.max >> 20)" : "\(bytes >> 20)") MiB, above the \(limit >> 20) MiB one "
                                + "message may carry: start the worker with --batch-size \(max(1, limit / max(1, row))) or less")
    }

    /// Refuses a stage whose weights, KV caches and scratch exceed this worker's budget, before touching them.
    /// Returns the bytes it needs.
    private func checkBudget(file: GGUFFile, config: LlamaConfig, spec: StageSpec, request: LoadStage) throws -> Int {
        guard spec.layers.upperBound <= config.blockCount else { return 0 }   // StageWeights names the bad range
        let need = try StageFootprint(file: file, config: config, spec: spec, contextLength: max(1, Int(request.contextLength)),
                                      sessions: max(1, Int(request.maxSessions)),
                                      kvType: Llama.KVType(request.kvType) ?? .f16, maxBatch: server.options.maxBatch,
                                      threads: pool.threads)
        let budget = server.options.memoryBudget
        guard need.totalBytes <= budget else { throw StageError.overBudget(need: need, budget: budget) }
        return need.totalBytes
    }

    func open(_ request: OpenSession) -> WireMessage {
        guard let loaded else { return .error(ErrorMessage(code: .notLoaded, message: "no stage is loaded: send LoadStage first")) }
        guard !server.draining.load(ordering: .relaxed) else {
            return .error(ErrorMessage(code: .resourceExhausted, message: "this worker is draining (SIGTERM): it opens no new "
                                       + "session; use another worker", sessionID: request.sessionID))
        }
        guard request.topLogprobs <= OpenSession.maxTopLogprobs else {
            return .error(ErrorMessage(code: .badRequest, message: "top_logprobs \(request.topLogprobs) is over the "
                                       + "\(OpenSession.maxTopLogprobs) a session may ask for", sessionID: request.sessionID))
        }
        do {
            let context = Int(request.contextLength)
            try loaded.engine.open(request.sessionID, options: SessionOptions(
                contextLength: context, kvType: loaded.kvType, sampler: SamplerParameters(request.sampler),
                topLogprobs: Int(request.topLogprobs), logprobs: !request.skipLogprobs))
            return .openSessionReply(OpenSessionReply(
                sessionID: request.sessionID, kvBytes: UInt64(loaded.engine.kvBytes(contextLength: context, type: loaded.kvType))))
        } catch {
            return .error(ErrorMessage(code: Self.code(for: error), message: "\(error)", sessionID: request.sessionID))
        }
    }

    func reuse(_ request: ReusePrefix) -> WireMessage {
        guard let loaded else { return .error(ErrorMessage(code: .notLoaded, message: "no stage is loaded: send LoadStage first")) }
        do {
            let copied = try loaded.engine.reusePrefix(into: request.sessionID, from: request.sourceSessionID, tokens: request.tokens)
            return .reusePrefixReply(ReusePrefixReply(sessionID: request.sessionID, positions: UInt32(clamping: copied)))
        } catch {
            return .error(ErrorMessage(code: Self.code(for: error), message: "\(error)", sessionID: request.sessionID))
        }
    }

    func close(_ request: CloseSession) -> WireMessage {
        let existed = loaded?.engine.close(request.sessionID) ?? false
        return .closeSessionReply(CloseSessionReply(sessionID: request.sessionID, existed: existed))
    }

    static func message(_ output: StageOutput, forward: Forward, timings: [StageTiming]) -> WireMessage {
        switch output {
        case .hidden(let values):
            var next = forward
            next.hidden = HiddenStates(nEmbd: UInt32(values.count / max(forward.tokens.count, 1)), values: values)
            next.timings = timings
            return .forward(next)
        case .evaluated:
            return .tokenResult(TokenResult(sessionID: forward.sessionID, step: forward.step, token: nil, timings: timings))
        case .token(let t):
            let prompt = t.promptLogprobs.enumerated().dropFirst().map { i, p in
                PositionLogprobs(position: forward.startPosition + UInt32(i), tokenID: p.id, logprob: p.logprob,
                                 top: i < t.promptTop.count ? t.promptTop[i].map(Wire.TokenLogprob.init) : [])
            }
            return .tokenResult(TokenResult(
                sessionID: forward.sessionID, step: forward.step, token: Wire.TokenLogprob(tokenID: t.id, logprob: t.logprob),
                topLogprobs: t.top.map(Wire.TokenLogprob.init), promptLogprobs: prompt, timings: timings))
        }
    }

    /// The wire's error code for an engine error.
    static func code(for error: any Error) -> ErrorCode {
        switch error {
        case StageError.unknownSession: .unknownSession
        case StageError.sessionExists: .sessionExists
        case StageError.tooManySessions, StageError.outOfMemory: .resourceExhausted
        case StageError.contextTooLong, LlamaError.contextExceeded: .contextExceeded
        case is LlamaError, is SamplerError, is WireError: .badRequest
        default: .internal
        }
    }
}

extension WorkerOptions {
    /// With `--model`, a `--batch-size` whose rows of hidden states cannot fit one data message is refused at
    /// startup (without it, at the LoadStage that names the model).
    func checkBatchSizeAgainstModel() throws {
        guard let modelPath else { return }
        try ComputeLoop.checkDataMessages(config: try LlamaConfig(gguf: try GGUFFile(path: modelPath)), maxBatch: maxBatch)
    }
}

extension LoadStage {
    /// Same model, layers, role, context and session budget: the loaded weights can be kept.
    func sameStage(as other: LoadStage) -> Bool {
        modelPath == other.modelPath && layerBegin == other.layerBegin && layerEnd == other.layerEnd
            && isFirst == other.isFirst && isLast == other.isLast && contextLength == other.contextLength
            && maxSessions == other.maxSessions
    }
}

extension ComputeLoop {
    /// The file's configuration, with the coordinator's rope scaling override when the request carries one.
    static func config(_ file: GGUFFile, for request: LoadStage) throws -> LlamaConfig {
        let config = try LlamaConfig(gguf: file)
        guard !request.ropeScaling.isEmpty else { return config }
        let original = Int(request.ropeOriginalContext)
        return try config.overridingRopeScaling(RopeScaling(name: request.ropeScaling, factor: request.ropeScale,
                                                            originalContext: original, trainingContext: config.contextLength))
    }
}
