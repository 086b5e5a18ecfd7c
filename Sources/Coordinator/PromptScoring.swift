import Engine

extension Generator {
    /// Evaluates the prompt like `prefill`, scoring every token after the first (echo / lm-evaluation-harness).
    ///
    /// Row r of a batch's logits predicts token r+1 of the same batch, so the first token of every chunk after
    /// the first would have no prediction. Each later chunk therefore starts one position early: the session is
    /// rewound by one and the previous chunk's last token is evaluated again (its KV entry is recomputed
    /// identically), and that row scores the chunk's first new token. A prompt that fits one batch is sent
    /// unchanged. The re-sent token joins the last stage's sampler history twice, which only matters to
    /// repetition penalties on the tokens generated after a long scored prompt.
    func scoredPrefill(_ prompt: [Int32], session: UInt64, sample: Bool) async throws
        -> (next: SampledToken?, scores: [PromptTokenLogprob])
    {
        let batch = pipeline.maxBatch
        guard prompt.count <= batch || batch >= 2 else { throw GenerationError.batchTooSmallForScoring(maxBatch: batch) }
        var scores = [PromptTokenLogprob(id: prompt[0], logprob: nil, top: [])]
        scores.reserveCapacity(prompt.count)
        var start = 0
        var last: SampledToken?
        while start < prompt.count {
            try Task.checkCancellation()
            let from = start == 0 ? 0 : start - 1
            let end = min(from + batch, prompt.count)
            if from < start { try await pipeline.rewind(session, to: from) }
            let chunk = Array(prompt[from..<end])
            guard let result = try await pipeline.step(session, tokens: chunk, sample: sample && end == prompt.count,
                                                       promptLogprobs: true) else {
                throw PipelineError.notReady("the last stage returned no prompt log-probabilities")
            }
            // Row 0 of this chunk is either the prompt's first token or the re-sent one: both are already scored.
            for r in 1..<chunk.count {
                let logprob = r < result.promptLogprobs.count ? result.promptLogprobs[r].logprob : 0
                let top = r < result.promptTop.count ? result.promptTop[r] : []
                scores.append(PromptTokenLogprob(id: chunk[r], logprob: logprob, top: top))
            }
            last = result
            start = end
        }
        return (sample ? last : nil, scores)
    }
}
