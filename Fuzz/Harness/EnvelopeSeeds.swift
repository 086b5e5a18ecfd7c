import Wire

extension EnvelopeHarness {
    /// The seed corpus (Fuzz/Corpus/envelope): every request a worker serves, for the tiny model's stages, plus
    /// the edge cases the protocol has had bugs with and the messages a worker should never be sent.
    public static func seeds(modelPath: String) -> [[UInt8]] {
        seedMessages(modelPath: modelPath).enumerated().map { index, message in
            Envelope(requestID: UInt64(index + 1), message: message).encode()
        }
    }

    static func seedMessages(modelPath: String) -> [WireMessage] {
        let full = baseline(model: modelPath, layers: 0..<2, first: true, last: true)
        let middle = baseline(model: modelPath, layers: 1..<2, first: false, last: false)
        var huge = full
        (huge.contextLength, huge.maxSessions) = (.max, .max)
        var yarn = full
        (yarn.ropeScaling, yarn.ropeScale, yarn.ropeOriginalContext) = ("yarn", 4, 16)
        var streamed = middle
        (streamed.canStreamWeights, streamed.modelSHA256) = (true, String(repeating: "ab", count: 32))
        streamed.weightsManifestSHA256 = Array(repeating: 0xab, count: 32)
        var sampler = SamplerParams()
        (sampler.temperature, sampler.topK, sampler.seed) = (0.7, 5, 42)
        let width = TinyModel.standard.width
        let hidden = HiddenStates(nEmbd: UInt32(width), values: (0..<(2 * width)).map { Float($0 % 7) / 7 })
        let sha = String(repeating: "cd", count: 32)
        let offer = WeightOffer(modelSHA256: sha, fileSize: 4096, layerBegin: 0, layerEnd: 1, isFirst: true, isLast: false,
                                regions: [WeightRegion(name: WeightRegion.headerName, fileOffset: 0, size: 64),
                                          WeightRegion(name: "blk.0.attn_q.weight", fileOffset: 1024, size: 256)],
                                maxChunkBytes: 1 << 20)
        return [
            .hello(Hello(peerID: "seed", role: .coordinator)),
            .hello(Hello(version: ProtocolVersion(major: 99, minor: 0), peerID: "future", role: .coordinator)),
            .health,
            .loadStage(full), .loadStage(middle), .loadStage(huge), .loadStage(yarn), .loadStage(streamed),
            .openSession(OpenSession(sessionID: 2, contextLength: 16, sampler: sampler, topLogprobs: 3)),
            .openSession(OpenSession(sessionID: 3, contextLength: .max)),
            .reusePrefix(ReusePrefix(sessionID: 2, sourceSessionID: session, tokens: [1, 2])),
            .closeSession(CloseSession(sessionID: session)),
            .forward(Forward(sessionID: session, step: 1, startPosition: 0, tokens: [1, 2, 3], sample: true)),
            .forward(Forward(sessionID: session, step: 2, startPosition: 0, tokens: [4, 5], sample: true, promptLogprobs: true)),
            .forward(Forward(sessionID: session, step: 3, startPosition: 0, tokens: [6, 7], hidden: hidden, sample: false)),
            .forward(Forward(sessionID: session, step: 4, startPosition: 9, tokens: [1], sample: true)),
            .forwardBatch([Forward(sessionID: session, step: 5, startPosition: 0, tokens: [6, 7], hidden: hidden, sample: false),
                           Forward(sessionID: 2, step: 1, startPosition: 0, tokens: [1], sample: true)]),
            .error(ErrorMessage(code: .contextExceeded, message: "seed", sessionID: session, step: 1, stageIndex: 0)),
            .weightOffer(offer),
            .weightChunk(WeightChunk(fileOffset: 0, data: Array(repeating: 7, count: 64))),
            .weightDone(WeightDone(modelSHA256: sha)),
            .weightCredit(WeightCredit(chunks: 4, bytesReceived: 0)),
            .tokenResult(TokenResult(sessionID: session, step: 1, token: TokenLogprob(tokenID: 3, logprob: -0.5))),
        ]
    }
}
