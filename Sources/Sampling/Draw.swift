extension SamplingSteps {
    /// Highest logit over a whole vocabulary, ties to the lowest id; NaN never wins. It is top-k with
    /// k = 1: that scan compares each logit with the best so far and rarely branches, which measured
    /// faster than a compare-and-select chain. -1 only for an empty vector.
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        TopSelection.best(1, logits: logits, ids: nil).ids.first ?? -1
    }

    /// Draws one candidate with probability softmax(logits), by inverting the cumulative distribution at
    /// `uniform` ∈ [0, 1), as llama.cpp's dist sampler does (float `expf`, double sums). We select the first
    /// entry whose running sum *exceeds* the target where llama.cpp uses ≥: the same distribution, but a
    /// draw of exactly 0 can then never pick a zero-probability entry. Falls back to the last entry with
    /// non-zero weight (rounding), or the first entry when no weight is usable. -1 only for an empty list.
    static func draw(_ c: Candidates, uniform: Double) -> Int32 {
        guard let maxLogit = c.logits.max() else { return -1 }
        var weights = [Float](repeating: 0, count: c.count)
        var sum: Double = 0
        for i in 0..<c.count {
            weights[i] = exponential(c.logits[i] - maxLogit)
            sum += Double(weights[i])
        }
        let target = uniform * sum
        var running: Double = 0
        var lastPositive = 0
        for i in 0..<c.count {
            running += Double(weights[i])
            if weights[i] > 0 { lastPositive = i }
            if running > target { return c.ids[i] }
        }
        return c.ids[lastPositive]
    }
}
