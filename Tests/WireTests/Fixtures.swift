import Wire

/// One non-trivial instance of every message, with every field set to a non-default value so a field
/// lost or swapped in either direction shows up in the round trip.
enum Fixtures {
    static let hidden = HiddenStates(nEmbd: 4, values: [1.5, -0.0, .infinity, -.infinity,
                                                         .leastNonzeroMagnitude, .greatestFiniteMagnitude, 3, -7.25])

    static var sampler: SamplerParams {
        var s = SamplerParams()
        s.temperature = 0.7
        s.topK = 17
        s.topP = 0.9
        s.minP = 0.02
        s.repeatPenalty = 1.1
        s.repeatLastN = -1
        s.presencePenalty = 0.25
        s.frequencyPenalty = -0.5
        s.seed = 0xDEAD_BEEF_CAFE
        return s
    }

    static var healthReply: HealthReply {
        var h = HealthReply()
        h.loaded = true
        h.stageIndex = 2
        h.layerBegin = 10
        h.layerEnd = 20
        h.sessions = 3
        h.maxSessions = 8
        h.draining = true
        (h.prefixCacheEntries, h.prefixCacheBytes, h.prefixReuses) = (2, 48 << 20, 7)
        h.freeMemoryBytes = 1 << 33
        h.totalMemoryBytes = 1 << 34
        h.residentBytes = 123_456_789
        h.uptimeMilliseconds = 86_400_000
        h.forwardsDone = 42
        h.dataBytesSent = 1 << 40
        h.dataMessagesSent = 77
        h.peakResidentBytes = 987_654_321
        h.weightBytesReceived = 5 << 30
        h.weightBytesFromCache = 3 << 20
        return h
    }

    static let timings = [StageTiming(stageIndex: 0, queueMicroseconds: 12, computeMicroseconds: 3456, batchSessions: 3, batchRows: 70),
                          StageTiming(stageIndex: 1, queueMicroseconds: 7, computeMicroseconds: 2999)]

    /// A LoadStage that carries every field, the rope scaling override and the hops' CURVE keys included.
    static var loadStage: LoadStage {
        var m = LoadStage(
            modelPath: "/models/m.gguf", modelSHA256: String(repeating: "ab", count: 32),
            layerBegin: 8, layerEnd: 16, isFirst: true, isLast: true, contextLength: 8192, kvType: .f16,
            maxSessions: 4, nextHop: "tcp://10.0.0.3:5556", stageIndex: 1, stageCount: 3, threads: 2,
            canStreamWeights: true)
        (m.ropeScaling, m.ropeScale, m.ropeOriginalContext) = ("yarn", 4, 32768)
        (m.previousHopPublicKey, m.nextHopPublicKey) = (Array(0..<32), Array(100..<132))
        m.weightsManifestSHA256 = Array(200..<232)
        m.nextHopTakesBatches = true
        return m
    }

    static var all: [WireMessage] {
        [
            .hello(Hello(version: ProtocolVersion(major: 1, minor: 3), peerID: "coord-1 ✓", role: .coordinator)),
            .helloReply(HelloReply(
                version: ProtocolVersion(major: 1, minor: 2), workerID: "w-7", threads: 6,
                freeMemoryBytes: 5_000_000_000, totalMemoryBytes: 16_000_000_000,
                capabilities: [.kvF16, .kvF32, .promptLogprobs, .weightStreaming, .forwardBatch, .prefixReuse],
                dataEndpoint: "tcp://10.0.0.2:5556", softwareVersion: "baton 0.1",
                memoryBudgetBytes: 6 << 30)),
            .loadStage(loadStage),
            .loadStageReply(LoadStageReply(weightBytes: 98_000_000, kvBytesPerSession: 1 << 22,
                                           loadMilliseconds: 1234, nEmbd: 576, nLayersTotal: 30,
                                           weightsRequired: true, fromCache: true)),
            .openSession(OpenSession(sessionID: 77, contextLength: 2048, sampler: sampler, topLogprobs: 5)),
            .openSession({ var o = OpenSession(sessionID: 78, contextLength: 16); o.skipLogprobs = true; return o }()),
            .openSessionReply(OpenSessionReply(sessionID: 77, kvBytes: 1 << 20)),
            .reusePrefix(ReusePrefix(sessionID: 80, sourceSessionID: 77, tokens: [1, 2, 49_151])),
            .reusePrefixReply(ReusePrefixReply(sessionID: 80, positions: 3)),
            .closeSession(CloseSession(sessionID: 77)),
            .closeSessionReply(CloseSessionReply(sessionID: 77, existed: true)),
            .health,
            .healthReply(healthReply),
            .error(ErrorMessage(code: .contextExceeded, message: "position 2048 ≥ context 2048",
                                sessionID: 77, step: 9, stageIndex: 2)),
            .forward(Forward(sessionID: 77, step: 9, startPosition: 100, tokens: [1, -2, 49_151],
                             hidden: nil, sample: true, promptLogprobs: true, timings: [])),
            .forward(Forward(sessionID: 78, step: UInt64.max, startPosition: 5, tokens: [3, 4],
                             hidden: hidden, sample: false, promptLogprobs: false, timings: timings)),
            .tokenResult(TokenResult(
                sessionID: 77, step: 9, token: TokenLogprob(tokenID: 314, logprob: -0.125),
                topLogprobs: [TokenLogprob(tokenID: 314, logprob: -0.125), TokenLogprob(tokenID: 2, logprob: -3)],
                promptLogprobs: [PositionLogprobs(position: 101, tokenID: -2, logprob: -4.5,
                                                  top: [TokenLogprob(tokenID: 9, logprob: -0.5)])],
                timings: timings)),
            .tokenResult(TokenResult(sessionID: 78, step: 1, token: nil)),
            .forwardBatch([Forward(sessionID: 78, step: 3, startPosition: 5, tokens: [3, 4], hidden: hidden, sample: false,
                                   timings: timings),
                           Forward(sessionID: 79, step: 1, startPosition: 0, tokens: [7], sample: true)]),
            .weightOffer(WeightOffer(
                modelSHA256: String(repeating: "0f", count: 32), fileSize: 1 << 33, layerBegin: 15, layerEnd: 30,
                isFirst: false, isLast: true,
                regions: [WeightRegion(name: WeightRegion.headerName, fileOffset: 0, size: 1_234_567),
                          WeightRegion(name: "blk.15.attn_q.weight ✓", fileOffset: 1_234_592, size: 1 << 32)],
                maxChunkBytes: 2 << 20)),
            .weightChunk(WeightChunk(fileOffset: 1 << 32, data: (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) },
                                     regionSHA256: (0..<32).map { UInt8($0) })),
            .weightChunk(WeightChunk(fileOffset: 3, data: [0, 0, 1])),
            .weightCredit(WeightCredit(chunks: 4, bytesReceived: 1 << 35)),
            .weightDone(WeightDone(modelSHA256: String(repeating: "0f", count: 32))),
            .weightDoneReply(WeightDoneReply(regionsVerified: 137, bytesReceived: 1 << 35)),
        ]
    }

    /// A Forward carrying `nTokens × nEmbd` hidden floats with distinct, non-trivial bit patterns.
    static func forward(nTokens: Int, nEmbd: Int, step: UInt64 = 1) -> Forward {
        let values = (0..<(nTokens * nEmbd)).map { Float(bitPattern: 0x3F80_0000 &+ UInt32($0) &* 2_654_435_761 % 0x0080_0000) }
        return Forward(sessionID: 1, step: step, startPosition: 10, tokens: (0..<nTokens).map { Int32($0 + 1) },
                       hidden: HiddenStates(nEmbd: UInt32(nEmbd), values: values), sample: true)
    }
}
