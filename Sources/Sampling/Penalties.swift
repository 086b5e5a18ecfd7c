/// The tokens the repetition penalties look at: the last `window` accepted tokens (all of them for -1,
/// none for 0) with an occurrence count per distinct id, kept incrementally as llama.cpp's penalties
/// sampler does, so applying penalties costs O(distinct tokens in the window), not O(vocabulary).
struct TokenHistory: Sendable, Equatable {
    let window: Int
    /// Ring buffer of the window's tokens, oldest at `oldest`; unused when the window is unbounded.
    private var ring: [Int32] = []
    private var oldest = 0
    private(set) var counts: [Int32: Int] = [:]

    init(window: Int) {
        self.window = window
    }

    mutating func append(_ token: Int32) {
        guard window != 0 else { return }
        counts[token, default: 0] += 1
        guard window > 0 else { return }
        if ring.count < window {
            ring.append(token)
            return
        }
        let evicted = ring[oldest]
        ring[oldest] = token
        oldest = (oldest + 1) % window
        if let c = counts[evicted], c > 1 { counts[evicted] = c - 1 } else { counts[evicted] = nil }
    }
}

extension SamplingSteps {
    /// llama.cpp's penalties sampler on a whole-vocabulary logit vector (id = index), which is what the
    /// list still is at this first step of the chain. For each token seen `count` > 0 times in the window:
    ///   repeat:   logit > 0 ? logit / repeatPenalty : logit * repeatPenalty   (always pushes it down)
    ///   OpenAI:   logit -= count * frequency + presence
    /// Ids outside the vocabulary (a bad prompt token, say) are ignored. Each id is touched once, so the
    /// dictionary's unspecified iteration order cannot change the result.
    static func applyPenalties(
        _ logits: UnsafeMutableBufferPointer<Float>, counts: [Int32: Int],
        repeatPenalty: Float, frequency: Float, presence: Float
    ) {
        if repeatPenalty == 1, frequency == 0, presence == 0 { return }
        for (id, count) in counts where count > 0 && id >= 0 && Int(id) < logits.count {
            var l = logits[Int(id)]
            l = l <= 0 ? l * repeatPenalty : l / repeatPenalty
            l -= Float(count) * frequency + presence
            logits[Int(id)] = l
        }
    }
}
