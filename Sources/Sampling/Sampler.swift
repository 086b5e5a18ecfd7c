/// Chooses the next token from a logit vector, reproducibly: the same parameters (seed included), the same
/// accepted tokens and the same logits give the same token on any machine. One `Sampler` per sequence;
/// it owns its RNG and its token history. Runs on the final pipeline stage.
public struct Sampler: Sendable {
    public let parameters: SamplerParameters
    private var rng: Xoshiro256StarStar
    private var history: TokenHistory

    public init(parameters: SamplerParameters) throws(SamplerError) {
        try parameters.validate()
        self.parameters = parameters
        rng = Xoshiro256StarStar(seed: parameters.seed)
        history = TokenHistory(window: parameters.repeatLastN)
    }

    /// Records a token that entered the context, for the repetition penalties. Call it for every prompt
    /// token and for every token generated (including the ones `sample` returned: sampling does not accept
    /// by itself, as with llama.cpp's `common_sampler_sample`/`common_sampler_accept`, because the caller
    /// decides what actually enters the context).
    public mutating func accept(_ token: Int32) {
        history.append(token)
    }

    /// Picks a token by running the chain, in llama.cpp's default order (llama-server's
    /// `penalties;dry;top_n_sigma;top_k;typ_p;top_p;min_p;xtc;temperature`, minus the samplers Baton does
    /// not offer), then a random draw:
    ///
    ///   1. penalties    repeat / frequency / presence, over the last `repeatLastN` accepted tokens
    ///   2. top-k        keep the `topK` highest logits                       (0 = off)
    ///   3. top-p        keep the smallest prefix holding probability `topP`  (1 = off)
    ///   4. min-p        keep tokens with prob ≥ `minP` × the top prob        (0 = off)
    ///   5. temperature  divide logits by `temperature`
    ///   6. draw         sample from softmax of what is left, with the sampler's own RNG
    ///
    /// With `temperature` 0 the result is the argmax after step 1 (ties to the lowest id) and no random
    /// number is drawn; steps 2–4 can never remove the top token, so skipping them changes nothing.
    /// Filters see the *untempered* logits, so top-p and min-p thresholds do not depend on temperature.
    ///
    /// `logits` is the whole vocabulary (token id = index) and is modified in place by the penalties; take
    /// log-probabilities from it before calling this. Returns -1 only for an empty vector.
    public mutating func sample(logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        guard !logits.isEmpty else { return -1 }
        let p = parameters
        if p.penaltiesActive {
            SamplingSteps.applyPenalties(
                logits, counts: history.counts,
                repeatPenalty: p.repeatPenalty, frequency: p.frequencyPenalty, presence: p.presencePenalty)
        }
        let view = UnsafeBufferPointer(logits)
        if p.temperature == 0 { return SamplingSteps.argmax(view) }

        // Step 2 is fused with building the list (same result as `SamplingSteps.topK` on the whole
        // vocabulary): with k small, only k entries are ever copied.
        var candidates = p.topK > 0 && p.topK < view.count
            ? Candidates(top: p.topK, of: view)
            : Candidates(allOf: view)
        SamplingSteps.topP(&candidates, p: p.topP)
        SamplingSteps.minP(&candidates, p: p.minP)
        SamplingSteps.temperature(&candidates, t: p.temperature)
        return SamplingSteps.draw(candidates, uniform: rng.nextUnitDouble())
    }

    /// As `sample(logits:)`, leaving `logits` as they are. Only the penalties write to the logits (every later
    /// step works on candidates of its own), so only they need a copy — a vocabulary's worth per token saved.
    public mutating func sample(unchanged logits: UnsafeBufferPointer<Float>) -> Int32 {
        guard parameters.penaltiesActive else { return sample(logits: UnsafeMutableBufferPointer(mutating: logits)) }
        var copy = Array(logits)
        return copy.withUnsafeMutableBufferPointer { sample(logits: $0) }
    }

    /// As `sample(logits:)` on a copy; the caller's array is left untouched.
    public mutating func sample(logits: [Float]) -> Int32 {
        logits.withUnsafeBufferPointer { sample(unchanged: $0) }
    }
}
